//! The voicemails the platform keeps for the agents, besides the ticket its rules write
//! (TICKET-10): listed, read, closed and called back (`/voicemails`, `callback_of` on
//! `POST /calls`), with their recordings, which the sandbox makes itself (`/recordings/{id}.wav`).
//! Every change is sent to every signed-in agent: `voicemail.created`, `voicemail.updated`.

use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::{json, Value};

use super::{err, signed_in_agent, unauthorized};
use crate::model::Voicemail;
use crate::state::{App, World};

/// The answer for a voicemail id the platform does not know.
pub const NO_SUCH_VOICEMAIL: &str = "no such voicemail";

/// Where the platform keeps the recording of the voicemail call `id` left when the event named
/// none: served by [`recording`].
pub fn recording_url(app: &App, id: u64) -> String {
    format!("{}/platform/recordings/{id}.wav", app.base())
}

/// Keeps voicemail `vm` and tells every signed-in agent (`voicemail.created`); its JSON.
pub fn record(app: &App, vm: Voicemail) -> Value {
    let json = vm.to_json();
    app.world().voicemails.insert(vm.id, vm);
    app.emit(
        None,
        json!({"type": "voicemail.created", "voicemail": json.clone()}),
    );
    json
}

/// `GET /voicemails`: those not closed, newest first, and how many of them are unread.
pub async fn list(State(app): State<App>, headers: HeaderMap) -> Response {
    if signed_in_agent(&app, &headers).is_none() {
        return unauthorized();
    }
    let w = app.world();
    let mut open: Vec<&Voicemail> = w.voicemails.values().filter(|v| !v.closed).collect();
    open.sort_by_key(|v| std::cmp::Reverse((v.created_ms, v.id)));
    let unread = open.iter().filter(|v| !v.read).count();
    let voicemails: Vec<Value> = open.into_iter().map(Voicemail::to_json).collect();
    Json(json!({ "voicemails": voicemails, "unread": unread })).into_response()
}

/// `POST /voicemails/{id}/read`: marks it read.
pub async fn read(State(app): State<App>, headers: HeaderMap, Path(id): Path<String>) -> Response {
    change(&app, &headers, &id, |v| v.read = true)
}

/// `POST /voicemails/{id}/close`: marks it closed (and read): it is listed no more.
pub async fn close(State(app): State<App>, headers: HeaderMap, Path(id): Path<String>) -> Response {
    change(&app, &headers, &id, |v| {
        v.read = true;
        v.closed = true;
    })
}

/// Applies `how` to voicemail `id` for a signed-in agent and answers `{"voicemail": …}`; every
/// agent hears of a change (a repeat changes nothing and is not announced).
fn change(app: &App, headers: &HeaderMap, id: &str, how: impl FnOnce(&mut Voicemail)) -> Response {
    if signed_in_agent(app, headers).is_none() {
        return unauthorized();
    }
    let Some(id) = id.parse::<u64>().ok() else {
        return err(StatusCode::NOT_FOUND, NO_SUCH_VOICEMAIL);
    };
    match update(app, id, how) {
        Some(vm) => Json(json!({ "voicemail": vm })).into_response(),
        None => err(StatusCode::NOT_FOUND, NO_SUCH_VOICEMAIL),
    }
}

/// Applies `how` to voicemail `id` and, when that changed it, sends `voicemail.updated` to
/// every signed-in agent; its JSON, None for an unknown id.
pub fn update(app: &App, id: u64, how: impl FnOnce(&mut Voicemail)) -> Option<Value> {
    let (before, after) = {
        let mut w = app.world();
        let vm = w.voicemails.get_mut(&id)?;
        let before = vm.to_json();
        how(vm);
        (before, vm.to_json())
    };
    if before != after {
        app.emit(
            None,
            json!({"type": "voicemail.updated", "voicemail": after.clone()}),
        );
    }
    Some(after)
}

/// What a call returns to, `callback_of` on `POST /calls`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CallbackOf {
    /// A voicemail, by id.
    Voicemail(u64),
    /// One of the agent's calls, by id.
    Call(u64),
}

/// The answer to a `callback_of` that is not one of the two shapes.
pub const BAD_CALLBACK: &str = "callback_of: {voicemail: id} or {call: id} is expected";

impl CallbackOf {
    /// Reads `callback_of` (absent or null: None) for agent `agent_id`: exactly one of
    /// `voicemail` (a known voicemail) or `call` (a call of the agent's); the error names what
    /// is wrong.
    pub fn check(w: &World, agent_id: u64, given: Option<&Value>) -> Result<Option<Self>, String> {
        let Some(given) = given.filter(|v| !v.is_null()) else {
            return Ok(None);
        };
        let only = given.as_object().filter(|o| o.len() == 1);
        let Some((key, id)) = only.and_then(|o| o.iter().next()) else {
            return Err(BAD_CALLBACK.into());
        };
        match (key.as_str(), id.as_u64()) {
            ("voicemail", Some(id)) if w.voicemails.contains_key(&id) => {
                Ok(Some(Self::Voicemail(id)))
            }
            ("voicemail", Some(_)) => Err("callback_of: no such voicemail".into()),
            ("call", Some(id))
                if w.calls
                    .get(&id)
                    .is_some_and(|c| c.agent_id == Some(agent_id)) =>
            {
                Ok(Some(Self::Call(id)))
            }
            ("call", Some(_)) => Err("callback_of: no such call of the agent's".into()),
            _ => Err(BAD_CALLBACK.into()),
        }
    }
}

/// The agent placed a call back about voicemail `id`: it is called back, and read.
pub fn called_back(app: &App, id: u64) {
    update(app, id, |v| {
        v.called_back = true;
        v.read = true;
    });
}

/// `GET /recordings/{id}.wav`: the recording of a known voicemail, a tone the sandbox makes
/// ([`wav`]). No bearer token: an `<audio>` element cannot send one.
pub async fn recording(State(app): State<App>, Path(file): Path<String>) -> Response {
    let duration = file
        .strip_suffix(".wav")
        .and_then(|id| id.parse::<u64>().ok())
        .and_then(|id| app.world().voicemails.get(&id).map(|v| v.duration_s));
    let Some(duration) = duration else {
        return err(StatusCode::NOT_FOUND, "no such recording");
    };
    let seconds = u32::try_from(duration.clamp(1, MAX_RECORDING_S)).unwrap_or(1);
    (
        [
            (header::CONTENT_TYPE, "audio/wav"),
            (header::ACCESS_CONTROL_ALLOW_ORIGIN, "*"),
        ],
        wav(seconds),
    )
        .into_response()
}

/// The longest recording the sandbox makes, seconds (a longer voicemail gets this much).
pub const MAX_RECORDING_S: u64 = 3;

/// Samples a second in the recordings.
pub const SAMPLE_RATE: u32 = 8_000;

/// A WAV file of `seconds` of a quiet 440 Hz tone: RIFF header, 8 kHz mono 16-bit PCM.
pub fn wav(seconds: u32) -> Vec<u8> {
    const TONE_HZ: f64 = 440.0;
    const AMPLITUDE: f64 = 0.1 * i16::MAX as f64;
    let samples = SAMPLE_RATE * seconds;
    let data_len = samples * 2;
    let mut out = Vec::with_capacity(44 + data_len as usize);
    out.extend_from_slice(b"RIFF");
    out.extend_from_slice(&(36 + data_len).to_le_bytes());
    out.extend_from_slice(b"WAVEfmt ");
    out.extend_from_slice(&16u32.to_le_bytes()); // the fmt chunk's size
    out.extend_from_slice(&1u16.to_le_bytes()); // PCM
    out.extend_from_slice(&1u16.to_le_bytes()); // mono
    out.extend_from_slice(&SAMPLE_RATE.to_le_bytes());
    out.extend_from_slice(&(SAMPLE_RATE * 2).to_le_bytes()); // bytes a second
    out.extend_from_slice(&2u16.to_le_bytes()); // bytes a sample
    out.extend_from_slice(&16u16.to_le_bytes()); // bits a sample
    out.extend_from_slice(b"data");
    out.extend_from_slice(&data_len.to_le_bytes());
    for n in 0..samples {
        let t = f64::from(n) / f64::from(SAMPLE_RATE);
        let v = (AMPLITUDE * (std::f64::consts::TAU * TONE_HZ * t).sin()) as i16;
        out.extend_from_slice(&v.to_le_bytes());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_recording_is_a_pcm_wav_of_the_length_asked() {
        let w = wav(2);
        assert_eq!(&w[..4], b"RIFF");
        assert_eq!(&w[8..16], b"WAVEfmt ");
        assert_eq!(
            u32::from_le_bytes([w[24], w[25], w[26], w[27]]),
            SAMPLE_RATE
        );
        assert_eq!(w.len(), 44 + 2 * 2 * SAMPLE_RATE as usize);
        let size = u32::from_le_bytes([w[4], w[5], w[6], w[7]]) as usize;
        assert_eq!(
            size + 8,
            w.len(),
            "the RIFF size covers the rest of the file"
        );
        let loudest = w[44..]
            .chunks(2)
            .map(|s| i16::from_le_bytes([s[0], s[1]]).unsigned_abs())
            .max();
        assert!(
            loudest.is_some_and(|l| l > 0 && l < 4_000),
            "quiet, not silent"
        );
    }
}
