//! Scoring (events-and-metrics.md §3–4): what an event credits to whom
//! ([`accumulate`]), and how a period's merged accumulators become metric
//! points, domain scores and the composite ([`formulas`]). Pure: the
//! projections crate loads and stores, this module only computes.

use std::fmt;
use std::str::FromStr;

use rust_decimal::{Decimal, RoundingStrategy};
use serde::{Deserialize, Serialize};

pub mod accumulate;
pub mod explain;
pub mod formulas;

/// The version of the metric contract these formulas implement (D9): a
/// change of any formula is a new version, never an edit.
pub const FORMULA_VERSION: i32 = 1;

/// The six work domains (seed-design.md "Data Model").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Domain {
    Support,
    Operations,
    FieldService,
    Communication,
    Sales,
    DataQuality,
}

impl Domain {
    pub const ALL: [Domain; 6] = [
        Domain::Support,
        Domain::Operations,
        Domain::FieldService,
        Domain::Communication,
        Domain::Sales,
        Domain::DataQuality,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Domain::Support => "support",
            Domain::Operations => "operations",
            Domain::FieldService => "field_service",
            Domain::Communication => "communication",
            Domain::Sales => "sales",
            Domain::DataQuality => "data_quality",
        }
    }

    /// The name people read (pages, CSV headers, settings words).
    pub fn label(self) -> &'static str {
        match self {
            Domain::Support => "Support",
            Domain::Operations => "Operations",
            Domain::FieldService => "Field service",
            Domain::Communication => "Communication",
            Domain::Sales => "Sales",
            Domain::DataQuality => "Data quality",
        }
    }
}

impl fmt::Display for Domain {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Domain {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Domain::ALL
            .into_iter()
            .find(|d| d.as_str() == s)
            .ok_or_else(|| {
                format!(
                    "'{s}' is not a domain; expected one of support, operations, field_service, communication, sales, data_quality"
                )
            })
    }
}

/// Every stored value is rounded half-up to 2 decimals (§3).
pub fn round2(value: Decimal) -> Decimal {
    value.round_dp_with_strategy(2, RoundingStrategy::MidpointAwayFromZero)
}

/// `safe_div(n, d)` = 0 when d ≤ 0 (§3). A quotient too large for
/// `rust_decimal` saturates at its bound (issue 14: every formula is total,
/// whatever an older log holds); the points it feeds are clamped anyway.
pub fn safe_div(n: Decimal, d: Decimal) -> Decimal {
    if d <= Decimal::ZERO {
        Decimal::ZERO
    } else {
        n.checked_div(d).unwrap_or_else(|| saturated(n.is_sign_negative()))
    }
}

/// `a · b`, saturating at `rust_decimal`'s bound instead of panicking.
pub fn mul(a: Decimal, b: Decimal) -> Decimal {
    a.checked_mul(b).unwrap_or_else(|| saturated(a.is_sign_negative() != b.is_sign_negative()))
}

/// The bound a too-large result saturates at.
fn saturated(negative: bool) -> Decimal {
    if negative {
        Decimal::MIN
    } else {
        Decimal::MAX
    }
}
