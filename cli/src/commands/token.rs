//! `perfledger token`: mint a bearer token for operators and tests.

use std::process::ExitCode;

use crate::config::{GlobalArgs, TokenArgs};

pub fn run(global: &GlobalArgs, args: TokenArgs) -> anyhow::Result<ExitCode> {
    if args.subject.trim().is_empty() {
        anyhow::bail!("--subject (--person) must not be empty");
    }
    let signer = super::signer(global)?;
    let roles: Vec<&str> = args.roles.iter().map(String::as_str).collect();
    let permissions: Vec<&str> = args.permissions.iter().map(String::as_str).collect();
    println!("{}", signer.token(&args.subject, &roles, &permissions, args.ttl));
    Ok(ExitCode::SUCCESS)
}
