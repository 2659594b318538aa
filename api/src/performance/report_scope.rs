//! The preamble the report handlers of [`super::reports`] share (issue 17):
//! the caller, the query string (unknown and repeated parameters refused,
//! [`super::query_params`]) and the period (`period`/`from`/`to`,
//! [`crate::period_query`], D6; `this_week` when none is given), as one
//! extractor, [`ReportScope`].
//!
//! Each report names its parameters and reads the ones besides the period
//! through [`ReportParams`]. A report reads them in its own order, and the
//! first bad one is the 400, so the period is read where the report asks for
//! it ([`ReportQuery::period`]), or after the report's own parameters when it
//! does not ask. Who the caller may see stays with each handler: the
//! leaderboards share [`super::reports::leaderboard_visibility`], the team
//! summary checks the team, the peer comparison serves the caller only.

use std::collections::HashMap;

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};
use chrono::Utc;

use super::query_params;
use crate::auth::Principal;
use crate::error::AppError;
use crate::period_query::{Period, PeriodParams};
use crate::state::AppState;

/// The parameters of one report besides the period.
pub trait ReportParams: Sized {
    /// Every query parameter the report takes, the period's included.
    const NAMES: &'static [&'static str];

    /// Reads the report's own parameters, in the order its 400s name them;
    /// [`ReportQuery::period`] reads the period at that point.
    fn parse(query: &mut ReportQuery) -> Result<Self, AppError>;
}

/// A report's query string, read once, and its period once it has been read.
pub struct ReportQuery {
    params: HashMap<String, String>,
    period: Option<Period>,
}

impl ReportQuery {
    pub fn new(params: HashMap<String, String>) -> Self {
        ReportQuery { params, period: None }
    }

    /// The query parameters by name.
    pub fn params(&self) -> &HashMap<String, String> {
        &self.params
    }

    /// `period`/`from`/`to` (period_query, D6); `this_week` when none is
    /// given. Read once; a bad one is a 400 naming it.
    pub fn period(&mut self) -> Result<Period, AppError> {
        if let Some(period) = self.period {
            return Ok(period);
        }
        let raw = PeriodParams {
            period: self.params.get("period").cloned(),
            from: self.params.get("from").cloned(),
            to: self.params.get("to").cloned(),
        };
        let period = Period::from_params(&raw, Utc::now().date_naive())?;
        self.period = Some(period);
        Ok(period)
    }
}

/// The caller (`C`: [`Principal`], or [`crate::auth::TokenOnly`] for a
/// handler that merges grants itself), the period and the report's own
/// parameters, in that order: 401 before any 400.
pub struct ReportScope<P, C = Principal> {
    pub principal: C,
    pub period: Period,
    pub params: P,
}

impl<P, C> FromRequestParts<AppState> for ReportScope<P, C>
where
    P: ReportParams + Send,
    C: FromRequestParts<AppState> + Send,
    C::Rejection: IntoResponse,
{
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let principal = C::from_request_parts(parts, state).await.map_err(IntoResponse::into_response)?;
        let (period, params) = read_params::<P>(&parts.uri).map_err(IntoResponse::into_response)?;
        Ok(ReportScope { principal, period, params })
    }
}

/// The query string of `uri` as `P` and the period (module docs).
fn read_params<P: ReportParams>(uri: &axum::http::Uri) -> Result<(Period, P), AppError> {
    let mut query = ReportQuery::new(query_params(uri, P::NAMES)?);
    let params = P::parse(&mut query)?;
    let period = query.period()?;
    Ok((period, params))
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Team(Option<String>);

    impl ReportParams for Team {
        const NAMES: &'static [&'static str] = &["team_id", "period", "from", "to"];
        fn parse(query: &mut ReportQuery) -> Result<Self, AppError> {
            Ok(Team(query.params().get("team_id").cloned()))
        }
    }

    struct PeriodFirst;

    impl ReportParams for PeriodFirst {
        const NAMES: &'static [&'static str] = &["period", "limit"];
        fn parse(query: &mut ReportQuery) -> Result<Self, AppError> {
            query.period()?;
            Err(AppError::invalid_parameter("limit", "checked after the period"))
        }
    }

    fn uri(text: &str) -> axum::http::Uri {
        text.parse().unwrap()
    }

    #[test]
    fn the_period_is_read_where_the_report_asks_or_last() {
        let (period, Team(team)) = read_params::<Team>(&uri("/r?team_id=t&period=2026-W20")).unwrap();
        assert_eq!((period.label(), team.as_deref()), ("2026-W20".to_string(), Some("t")));
        let problem = read_params::<Team>(&uri("/r?period=2026-W54")).err().unwrap();
        assert_eq!((problem.status().as_u16(), problem.field.as_deref()), (400, Some("period")));
        let problem = read_params::<PeriodFirst>(&uri("/r?period=nope")).err().unwrap();
        assert_eq!(problem.field.as_deref(), Some("period"));
        let problem = read_params::<PeriodFirst>(&uri("/r")).err().unwrap();
        assert_eq!(problem.field.as_deref(), Some("limit"));
        let problem = read_params::<Team>(&uri("/r?sort=name")).err().unwrap();
        assert_eq!(problem.field.as_deref(), Some("sort"));
    }
}
