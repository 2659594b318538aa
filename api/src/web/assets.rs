//! perfledger's own stylesheet, script and favicon, embedded in the binary and served
//! under `/assets/NAME.HASH.EXT`: the hash is of the content, so a URL never
//! changes meaning and browsers may keep it for a year. Nothing is loaded
//! from anywhere else (no CDN, no web fonts).

use std::sync::LazyLock;

use axum::extract::Path;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use sha2::{Digest, Sha256};

pub struct Asset {
    pub stem: &'static str,
    pub extension: &'static str,
    pub content_type: &'static str,
    pub body: &'static str,
    href: LazyLock<String>,
}

impl Asset {
    /// `/assets/app.0123456789.css`
    pub fn href(&'static self) -> &'static str {
        self.href.as_str()
    }
}

fn href_of(stem: &str, extension: &str, body: &str) -> String {
    let digest = Sha256::digest(body.as_bytes());
    format!("/assets/{stem}.{}.{extension}", &super::view::hex(&digest)[..12])
}

macro_rules! asset {
    ($name:ident, $stem:literal, $extension:literal, $content_type:literal) => {
        pub static $name: Asset = Asset {
            stem: $stem,
            extension: $extension,
            content_type: $content_type,
            body: include_str!(concat!("../../assets/", $stem, ".", $extension)),
            href: LazyLock::new(|| {
                href_of($stem, $extension, include_str!(concat!("../../assets/", $stem, ".", $extension)))
            }),
        };
    };
}

asset!(APP_CSS, "app", "css", "text/css; charset=utf-8");
asset!(CHARTS_CSS, "charts", "css", "text/css; charset=utf-8");
asset!(APP_JS, "app", "js", "text/javascript; charset=utf-8");
asset!(FAVICON, "favicon", "svg", "image/svg+xml");

static ALL: [&Asset; 4] = [&APP_CSS, &CHARTS_CSS, &APP_JS, &FAVICON];

/// `GET /assets/{file}`: only the current hash of each asset exists.
pub async fn serve(Path(file): Path<String>) -> Response {
    match ALL.iter().find(|a| a.href().strip_prefix("/assets/") == Some(file.as_str())) {
        Some(asset) => (
            [
                (header::CONTENT_TYPE, HeaderValue::from_static(asset.content_type)),
                (header::CACHE_CONTROL, HeaderValue::from_static("public, max-age=31536000, immutable")),
                (header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff")),
            ],
            asset.body,
        )
            .into_response(),
        None => (StatusCode::NOT_FOUND, [(header::CONTENT_TYPE, "text/plain; charset=utf-8")], "no such asset")
            .into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hrefs_carry_a_content_hash() {
        let href = APP_CSS.href();
        assert!(href.starts_with("/assets/app.") && href.ends_with(".css"), "{href}");
        assert_eq!(href.len(), "/assets/app..css".len() + 12);
        assert_ne!(APP_CSS.href(), CHARTS_CSS.href());
        assert!(APP_JS.href().ends_with(".js"));
        assert!(FAVICON.href().starts_with("/assets/favicon.") && FAVICON.href().ends_with(".svg"));
        assert!(FAVICON.body.starts_with("<svg"), "an SVG");
    }
}
