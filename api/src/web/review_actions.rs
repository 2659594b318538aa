//! The two review actions the pages trigger. The review pipeline (another
//! branch) provides them in `crate::performance::reviews`; until it is
//! merged these placeholders, with exactly its signatures, answer that
//! reviews are not configured, and the pages show that outcome as a flash.
//! At merge, this module re-exports the real functions instead.

use uuid::Uuid;

use crate::auth::Principal;
use crate::routes::AppState;
use crate::scope::ApiProblem;

/// What a review request recorded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestedReview {
    pub review_id: Uuid,
    /// `pending`, `generated` or `failed`.
    pub status: String,
}

/// Requests a review of `person_id` for `period` (`None`: the last closed week).
pub async fn request_review(
    _state: &AppState,
    _principal: &Principal,
    _person_id: Uuid,
    _period: Option<String>,
    _force: bool,
) -> Result<RequestedReview, ApiProblem> {
    Err(crate::performance::reviews::not_configured())
}

/// Records that the reviewed person read the review.
pub async fn acknowledge_review(_state: &AppState, _principal: &Principal, _review_id: Uuid) -> Result<(), ApiProblem> {
    Err(crate::performance::reviews::not_configured())
}
