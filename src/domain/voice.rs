//! Talk Partner Edition voice comments (reference/zendesk.md §4.1): the From/To/Started block a
//! ticket shows for a call, with its recording.
//!
//! A [`VoiceComment`] can only be built by [`VoiceComment::new`] (or [`VoiceComment::for_call`]),
//! which refuses empty or malformed numbers and a missing start, so no code path can send Zendesk
//! an empty block. A call whose numbers or start are unknown gets no voice comment: its "Call
//! finished" text comment still carries the duration and the recording link (OQ-36).

use serde::{Deserialize, Serialize};

use crate::time;

/// Why a voice comment could not be built.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum VoiceCommentError {
    /// The caller's number is missing or not E.164.
    #[error("from: not an E.164 number: {0:?}")]
    From(String),
    /// The dialled number is missing or not E.164.
    #[error("to: not an E.164 number: {0:?}")]
    To(String),
    /// The call's start is missing or not an ISO-8601 time.
    #[error("started_at: not an ISO-8601 time: {0:?}")]
    StartedAt(String),
}

/// True for an E.164 number: `+`, then 2 to 15 digits, the first not 0.
pub fn is_e164(number: &str) -> bool {
    let Some(digits) = number.strip_prefix('+') else {
        return false;
    };
    (2..=15).contains(&digits.len())
        && digits.bytes().all(|b| b.is_ascii_digit())
        && !digits.starts_with('0')
}

/// A voice comment with its numbers and start: never empty.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "Unchecked")]
pub struct VoiceComment {
    from: String,
    to: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    recording_url: Option<String>,
    started_at: String,
    call_duration: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    answered_by_id: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    transcription_text: Option<String>,
}

/// The wire form, checked by [`VoiceComment::new`] when read back (a persisted write, an action).
#[derive(Deserialize)]
struct Unchecked {
    #[serde(default)]
    from: String,
    #[serde(default)]
    to: String,
    #[serde(default)]
    recording_url: Option<String>,
    #[serde(default)]
    started_at: String,
    #[serde(default)]
    call_duration: u64,
    #[serde(default)]
    answered_by_id: Option<u64>,
    #[serde(default)]
    transcription_text: Option<String>,
}

impl TryFrom<Unchecked> for VoiceComment {
    type Error = VoiceCommentError;
    fn try_from(u: Unchecked) -> Result<Self, Self::Error> {
        let mut v = VoiceComment::new(&u.from, &u.to, &u.started_at, u.call_duration)?;
        v.recording_url = u.recording_url;
        v.answered_by_id = u.answered_by_id;
        v.transcription_text = u.transcription_text;
        Ok(v)
    }
}

impl VoiceComment {
    /// A call from `from` to `to` (E.164 numbers) that started at `started_at` (ISO-8601, any
    /// offset; kept as RFC 3339 UTC, `2024-05-01T10:00:00Z`) and lasted `call_duration` seconds.
    pub fn new(
        from: &str,
        to: &str,
        started_at: &str,
        call_duration: u64,
    ) -> Result<Self, VoiceCommentError> {
        let (from, to) = (from.trim(), to.trim());
        if !is_e164(from) {
            return Err(VoiceCommentError::From(from.to_owned()));
        }
        if !is_e164(to) {
            return Err(VoiceCommentError::To(to.to_owned()));
        }
        let started = time::parse_iso8601(started_at)
            .ok_or_else(|| VoiceCommentError::StartedAt(started_at.to_owned()))?;
        Ok(Self {
            from: from.to_owned(),
            to: to.to_owned(),
            recording_url: None,
            started_at: time::iso8601(started),
            call_duration,
            answered_by_id: None,
            transcription_text: None,
        })
    }

    /// The voice comment of `call` with `customer` (E.164): an outbound call is from the
    /// platform's line to the customer, an inbound one from the customer to the line.
    pub fn for_call(
        call: &CallLine,
        customer: Option<&str>,
        call_duration: u64,
    ) -> Result<Self, VoiceCommentError> {
        let customer = customer.unwrap_or_default();
        let line = call.line.as_deref().unwrap_or_default();
        let started = call.started_at.as_deref().unwrap_or_default();
        if call.outbound {
            Self::new(line, customer, started, call_duration)
        } else {
            Self::new(customer, line, started, call_duration)
        }
    }

    /// With the recording's link.
    pub fn with_recording(mut self, url: &str) -> Self {
        self.recording_url = Some(url.to_owned()).filter(|u| !u.is_empty());
        self
    }

    /// With the agent (Zendesk user id) who answered.
    pub fn with_answered_by(mut self, agent_id: u64) -> Self {
        self.answered_by_id = Some(agent_id);
        self
    }

    /// With the platform's transcript (voicemails).
    pub fn with_transcription(mut self, text: &str) -> Self {
        self.transcription_text = Some(text.to_owned()).filter(|t| !t.is_empty());
        self
    }

    /// The caller's number (E.164).
    pub fn from(&self) -> &str {
        &self.from
    }

    /// The dialled number (E.164).
    pub fn to(&self) -> &str {
        &self.to
    }

    /// The call's start, RFC 3339 UTC.
    pub fn started_at(&self) -> &str {
        &self.started_at
    }

    /// The recording's link, if any.
    pub fn recording_url(&self) -> Option<&str> {
        self.recording_url.as_deref()
    }

    /// The call's length, seconds.
    pub fn call_duration(&self) -> u64 {
        self.call_duration
    }
}

/// What the platform reports of a call besides the customer: which way it went, its own number
/// on it, and its start. Each may be unknown (an event from an older platform); a voice comment
/// is then not written.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CallLine {
    /// True when the agent placed the call.
    #[serde(default)]
    pub outbound: bool,
    /// The platform's number on the call (E.164): the outbound number an outbound call was
    /// placed from, or the number an inbound caller dialled (the queue's number).
    #[serde(default)]
    pub line: Option<String>,
    /// When the call started (ISO-8601), as the platform reports it.
    #[serde(default)]
    pub started_at: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const CUSTOMER: &str = "+14155550100";
    const LINE: &str = "+15550199001";

    fn line(outbound: bool) -> CallLine {
        CallLine {
            outbound,
            line: Some(LINE.into()),
            started_at: Some("2024-05-01T12:00:00+02:00".into()),
        }
    }

    // Issue 11, item 4: the From/To/Started block is filled from the call, the way it went.
    #[test]
    fn a_voice_comment_is_filled_from_the_call() {
        let out = VoiceComment::for_call(&line(true), Some(CUSTOMER), 42).unwrap();
        assert_eq!(
            (out.from(), out.to(), out.started_at(), out.call_duration()),
            (LINE, CUSTOMER, "2024-05-01T10:00:00Z", 42)
        );
        let inbound = VoiceComment::for_call(&line(false), Some(CUSTOMER), 42)
            .unwrap()
            .with_recording("https://r/1.mp3");
        assert_eq!((inbound.from(), inbound.to()), (CUSTOMER, LINE));
        assert_eq!(
            serde_json::to_value(&inbound).unwrap(),
            json!({"from": CUSTOMER, "to": LINE, "recording_url": "https://r/1.mp3",
                "started_at": "2024-05-01T10:00:00Z", "call_duration": 42})
        );
    }

    // Issue 11, item 4: it cannot be built empty; a call lacking a number or its start gets none.
    #[test]
    fn a_voice_comment_cannot_be_built_empty() {
        let t = "2024-05-01T10:00:00Z";
        assert_eq!(
            VoiceComment::new("", CUSTOMER, t, 1),
            Err(VoiceCommentError::From(String::new()))
        );
        assert_eq!(
            VoiceComment::new(CUSTOMER, "", t, 1),
            Err(VoiceCommentError::To(String::new()))
        );
        assert_eq!(
            VoiceComment::new(CUSTOMER, LINE, "", 1),
            Err(VoiceCommentError::StartedAt(String::new()))
        );
        for bad in [
            "14155550100",
            "+",
            "+0123",
            "+1 415 555",
            "+1234567890123456",
        ] {
            assert!(VoiceComment::new(bad, LINE, t, 1).is_err(), "{bad}");
        }
        assert!(VoiceComment::new(LINE, CUSTOMER, "yesterday", 1).is_err());
        let unknown = CallLine {
            outbound: true,
            ..CallLine::default()
        };
        assert!(VoiceComment::for_call(&unknown, Some(CUSTOMER), 1).is_err());
        assert!(VoiceComment::for_call(&line(true), None, 1).is_err());
        // Read back (a persisted write) it is checked again.
        let empty = json!({"from": "", "to": "", "started_at": "", "call_duration": 3});
        assert!(serde_json::from_value::<VoiceComment>(empty).is_err());
        let v = VoiceComment::new(LINE, CUSTOMER, t, 3)
            .unwrap()
            .with_answered_by(7)
            .with_transcription("Call me");
        let back: VoiceComment = serde_json::from_value(serde_json::to_value(&v).unwrap()).unwrap();
        assert_eq!(back, v);
    }
}
