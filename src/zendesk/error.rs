//! The one error enum of the Zendesk client, and how responses map to it.

use crate::http::HttpResponse;

/// What a Zendesk call can fail with.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum ZendeskError {
    /// 404: the record does not exist or the agent cannot see it.
    #[error("not found")]
    NotFound,
    /// 400 / 422: Zendesk refused the data; `details` says which field and why.
    #[error("{description}")]
    Invalid {
        /// Zendesk's description.
        description: String,
        /// Zendesk's `details` object (field → errors), `null` when absent.
        details: serde_json::Value,
    },
    /// 409 `UpdateConflict`: the ticket changed since the `updated_stamp` a safe update named
    /// (Tickets API, "Protecting against ticket update collisions"), or two updates of one
    /// ticket collided. Nothing was written.
    #[error("the ticket was changed by someone else meanwhile")]
    Conflict,
    /// 422 on a closed ticket: closed is terminal and refuses every update.
    #[error("the ticket is closed and cannot be updated")]
    Closed,
    /// 429: over the rate limit; retry after this many seconds.
    #[error("rate limited; retry after {retry_after_s} s")]
    RateLimited {
        /// The `Retry-After` header, in seconds.
        retry_after_s: u64,
    },
    /// 401: the agent's Zendesk session cannot do this.
    #[error("not authorised")]
    Unauthorized,
    /// 403: refused to this agent: a permission, or a record outside what the agent may see
    /// (a restricted agent and a ticket of a group not theirs: UNCONFIRMED, Zendesk documents
    /// no body for it). Written as [`ZendeskError::Unauthorized`] is; a ticket read takes it
    /// as "not found" (TEAM-10).
    #[error("forbidden")]
    Forbidden,
    /// No answer: the network failed, or ZAF's proxy did not answer; safe to retry.
    #[error("Zendesk could not be reached: {0}")]
    Transport(String),
    /// Zendesk answered with a server error (5xx, or a status the API does not document for
    /// the call); safe to retry.
    #[error("Zendesk answered with an error: HTTP {0}")]
    Server(u16),
    /// A success response whose body is not what the API documents.
    #[error("unexpected response from Zendesk: {0}")]
    Decode(String),
}

/// How long a read the rules need to log a call or a chat keeps being tried through a rate limit
/// (the page's pause answers it at once while it lasts) or an outage, before the agent is told:
/// a few busy seconds never leave a conversation unlogged.
pub const LOGGING_READ_FOR_MS: i32 = 120_000;

/// The longest wait between two tries of such a read (1 s, then 2 s, … up to this).
const LOGGING_READ_BACKOFF_MAX_MS: i32 = 10_000;

impl ZendeskError {
    /// How long to wait before trying again a read the rules need to log a call or a chat,
    /// after this error on try `attempt` (from 1), `waited_ms` waited so far: a 429 its
    /// `Retry-After`, an outage a growing wait; `None` when it is not tried again (a refusal, or
    /// [`LOGGING_READ_FOR_MS`] spent).
    pub fn logging_read_wait_ms(&self, attempt: i32, waited_ms: i32) -> Option<i32> {
        if waited_ms >= LOGGING_READ_FOR_MS {
            return None;
        }
        match self {
            ZendeskError::RateLimited { retry_after_s } => {
                Some((*retry_after_s).clamp(1, 60) as i32 * 1_000)
            }
            ZendeskError::Transport(_) | ZendeskError::Server(_) => {
                Some((attempt.max(1) * 1_000).min(LOGGING_READ_BACKOFF_MAX_MS))
            }
            _ => None,
        }
    }

    /// True when the same request may succeed later (rate limit, network, 5xx).
    pub fn is_retryable(&self) -> bool {
        matches!(
            self,
            ZendeskError::RateLimited { .. } | ZendeskError::Transport(_) | ZendeskError::Server(_)
        )
    }

    /// True when Zendesk refused a ticket for its requester: the user named is one it no longer
    /// has (deleted since it was read). UNCONFIRMED (reference/zendesk.md does not say what a
    /// ticket for a deleted requester answers): a 422 whose `details` name `requester` or
    /// `requester_id`, as Zendesk names the field of every other refused value.
    pub fn refuses_requester(&self) -> bool {
        match self {
            ZendeskError::Invalid { details, .. } => {
                details.get("requester").is_some() || details.get("requester_id").is_some()
            }
            _ => false,
        }
    }
}

/// The wait when a 429 carries no usable `Retry-After` (Zendesk's limits are per minute).
pub const DEFAULT_RETRY_AFTER_S: u64 = 60;

/// Maps a response to its body on success, or to the error it means.
pub fn classify(response: &HttpResponse) -> Result<&str, ZendeskError> {
    let body = || serde_json::from_str::<serde_json::Value>(&response.body).unwrap_or_default();
    match response.status {
        200..=299 => Ok(&response.body),
        401 => Err(ZendeskError::Unauthorized),
        403 => Err(ZendeskError::Forbidden),
        404 => Err(ZendeskError::NotFound),
        429 => {
            let retry_after_s = response.retry_after_s().unwrap_or(DEFAULT_RETRY_AFTER_S);
            Err(ZendeskError::RateLimited { retry_after_s })
        }
        409 => Err(ZendeskError::Conflict),
        400 | 422 => {
            let body = body();
            let details = body
                .get("details")
                .cloned()
                .unwrap_or(serde_json::Value::Null);
            if closed_ticket(&details) {
                return Err(ZendeskError::Closed);
            }
            let description = body
                .get("description")
                .and_then(|d| d.as_str())
                .or_else(|| body.get("error").and_then(|d| d.as_str()))
                // None said: the banner's text alone (no English of the adapter's under it).
                .unwrap_or_default()
                .to_owned();
            Err(ZendeskError::Invalid {
                description,
                details,
            })
        }
        status => Err(ZendeskError::Server(status)),
    }
}

/// 422 `details.status[].description` = "Status: closed prevents ticket update".
fn closed_ticket(details: &serde_json::Value) -> bool {
    details
        .get("status")
        .and_then(|s| s.as_array())
        .is_some_and(|errors| {
            errors.iter().any(|e| {
                e.get("description")
                    .and_then(|d| d.as_str())
                    .is_some_and(|d| d.to_ascii_lowercase().contains("closed"))
            })
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn response(status: u16, body: serde_json::Value, headers: &[(&str, &str)]) -> HttpResponse {
        HttpResponse {
            status,
            headers: headers
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            body: body.to_string(),
        }
    }

    #[test]
    fn statuses_map_to_errors() {
        assert!(classify(&response(200, json!({}), &[])).is_ok());
        assert!(classify(&response(201, json!({}), &[])).is_ok());
        let not_found = json!({"error": "RecordNotFound", "description": "Not found"});
        assert_eq!(
            classify(&response(404, not_found, &[])),
            Err(ZendeskError::NotFound)
        );
        assert_eq!(
            classify(&response(401, json!({}), &[])),
            Err(ZendeskError::Unauthorized)
        );
        let forbidden =
            json!({"error": {"title": "Forbidden", "message": "You do not have access"}});
        assert_eq!(
            classify(&response(403, forbidden, &[])),
            Err(ZendeskError::Forbidden)
        );
        assert_eq!(
            classify(&response(429, json!({}), &[("Retry-After", "7")])),
            Err(ZendeskError::RateLimited { retry_after_s: 7 })
        );
        assert_eq!(
            classify(&response(429, json!({}), &[])),
            Err(ZendeskError::RateLimited {
                retry_after_s: DEFAULT_RETRY_AFTER_S
            })
        );
        assert_eq!(
            classify(&response(503, json!({}), &[])),
            Err(ZendeskError::Server(503))
        );
    }

    #[test]
    fn a_read_for_logging_waits_out_rate_limits_and_outages_for_two_minutes_and_never_a_refusal() {
        let limited = ZendeskError::RateLimited { retry_after_s: 2 };
        let down = ZendeskError::Server(503);
        // Many more tries than a few: a pause of the page answers each at once.
        assert_eq!(limited.logging_read_wait_ms(9, 60_000), Some(2_000));
        assert_eq!(
            ZendeskError::RateLimited { retry_after_s: 0 }.logging_read_wait_ms(1, 0),
            Some(1_000)
        );
        assert_eq!(down.logging_read_wait_ms(1, 0), Some(1_000));
        assert_eq!(down.logging_read_wait_ms(3, 3_000), Some(3_000));
        assert_eq!(
            down.logging_read_wait_ms(40, 100_000),
            Some(10_000),
            "capped"
        );
        assert_eq!(limited.logging_read_wait_ms(50, LOGGING_READ_FOR_MS), None);
        assert_eq!(down.logging_read_wait_ms(50, LOGGING_READ_FOR_MS), None);
        for refusal in [
            ZendeskError::NotFound,
            ZendeskError::Unauthorized,
            ZendeskError::Forbidden,
            ZendeskError::Closed,
            ZendeskError::Decode("x".into()),
        ] {
            assert_eq!(refusal.logging_read_wait_ms(1, 0), None, "{refusal:?}");
        }
    }

    #[test]
    fn a_collision_is_its_own_error() {
        let conflict = json!({"error": "UpdateConflict", "description": "Safe Update prevented the update due to outdated ticket data"});
        assert_eq!(
            classify(&response(409, conflict, &[])),
            Err(ZendeskError::Conflict)
        );
        assert!(!ZendeskError::Conflict.is_retryable(), "re-read first");
    }

    #[test]
    fn closed_ticket_is_its_own_error() {
        let closed = json!({"error": "RecordInvalid", "description": "Record validation errors",
            "details": {"status": [{"description": "Status: closed prevents ticket update"}]}});
        assert_eq!(
            classify(&response(422, closed, &[])),
            Err(ZendeskError::Closed)
        );
        let dup = json!({"error": "RecordInvalid", "description": "Record validation errors",
            "details": {"email": [{"error": "DuplicateValue"}]}});
        match classify(&response(422, dup, &[])) {
            Err(ZendeskError::Invalid {
                description,
                details,
            }) => {
                assert_eq!(description, "Record validation errors");
                assert_eq!(details["email"][0]["error"], "DuplicateValue");
            }
            other => panic!("expected Invalid, got {other:?}"),
        }
    }
}
