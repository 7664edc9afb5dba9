//! The platform's live events (`GET /agent/events`), decoded.

use serde::{Deserialize, Serialize};

/// Where a call is in its life.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CallStatus {
    /// Placed, not yet ringing.
    Dialling,
    /// Ringing at the customer.
    Ringing,
    /// Talking.
    Connected,
    /// On hold.
    OnHold,
    /// Over.
    Ended,
}

/// Which way a call goes.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    /// Placed by the agent.
    #[default]
    Outbound,
    /// A customer's call offered to the agent.
    Inbound,
    /// Anything else (internal, callback).
    #[serde(other)]
    Other,
}

/// The times of a session, in seconds.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize)]
pub struct Durations {
    /// Talk time.
    #[serde(default)]
    pub call: u64,
    /// Time waiting in queue.
    #[serde(default)]
    pub wait: u64,
    /// Time on hold.
    #[serde(default)]
    pub hold: u64,
}

/// The agent a call was transferred to.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
pub struct TransferredTo {
    /// Platform agent id.
    pub id: u64,
    /// Their name.
    #[serde(default)]
    pub name: String,
    /// Their Zendesk user, when the platform maps it.
    #[serde(default)]
    pub zendesk_user_id: Option<u64>,
}

/// One event of the stream. Unknown event types decode as `Other` and are ignored.
///
/// The wire form is one JSON object whose `type` names the variant beside its fields
/// (`{"type":"call.held","call_id":3}`): read it with [`PlatformEvent::from_json`]. The derived
/// `Deserialize` reads the variant's name from the deserializer's enum access (what `from_json`
/// hands it), not from a `type` field: serde's own internally tagged form buffers every event
/// into an intermediate tree first, and its code was the largest function of the wasm.
#[derive(Clone, Debug, PartialEq, Deserialize)]
pub enum PlatformEvent {
    /// The stream is ready for this agent.
    #[serde(rename = "session.ready")]
    Ready,
    /// A chat offered to the agent (or transferred to them).
    #[serde(rename = "chat.offered")]
    ChatOffered {
        /// Chat id.
        chat_id: u64,
        /// The chat as the platform has it.
        chat: ChatInfo,
    },
    /// A message of a chat (the customer's, or the agent's own from any of their tabs).
    #[serde(rename = "chat.message")]
    ChatMessage {
        /// Chat id.
        chat_id: u64,
        /// The message.
        message: domain::chat::ChatMessage,
    },
    /// The customer started or stopped typing.
    #[serde(rename = "chat.typing")]
    ChatTyping {
        /// Chat id.
        chat_id: u64,
        /// True while they type.
        #[serde(default)]
        typing: bool,
    },
    /// The chat ended.
    #[serde(rename = "chat.ended")]
    ChatEnded {
        /// Chat id.
        chat_id: u64,
        /// Who ended it.
        #[serde(default)]
        by: Option<domain::chat::Author>,
        /// When (ISO-8601).
        #[serde(default)]
        ended_at: String,
    },
    /// The agent's chat went to another agent (UPD-9).
    #[serde(rename = "chat.transferred")]
    ChatTransferred {
        /// Chat id.
        chat_id: u64,
        /// The agent it went to.
        to: TransferredTo,
    },
    /// The call rings.
    #[serde(rename = "call.ringing")]
    Ringing {
        /// Call id.
        call_id: u64,
        /// Outbound (the agent's own call) or inbound (offered to the agent).
        #[serde(default)]
        direction: Direction,
        /// The customer's number (E.164).
        #[serde(default)]
        customer_number: String,
        /// The queue/menu path the caller chose.
        #[serde(default)]
        menu_path: String,
        /// The call's language.
        #[serde(default)]
        lang: String,
    },
    /// The call was put on hold.
    #[serde(rename = "call.held")]
    Held {
        /// Call id.
        call_id: u64,
    },
    /// The call was taken off hold.
    #[serde(rename = "call.resumed")]
    Resumed {
        /// Call id.
        call_id: u64,
    },
    /// The customer answered.
    #[serde(rename = "call.connected")]
    Connected {
        /// Call id.
        call_id: u64,
    },
    /// The call ended.
    #[serde(rename = "call.ended")]
    Ended {
        /// Call id.
        call_id: u64,
        /// Recording link, when recorded.
        #[serde(default)]
        recording_url: Option<String>,
        /// Call, wait and hold times.
        #[serde(default)]
        durations: Durations,
        /// The platform's number on the call (E.164): the outbound number it was placed from,
        /// or the number an inbound caller dialled; empty when not reported.
        #[serde(default)]
        line: String,
        /// When the call started (ISO-8601); empty when not reported.
        #[serde(default)]
        started_at: String,
    },
    /// The customer rated the call or the chat (UPD-14): `score` 1 to 5.
    #[serde(rename = "csat.rated")]
    CsatRated {
        /// Call id (0 for a chat's rating).
        #[serde(default)]
        call_id: u64,
        /// The chat rated, for a chat's rating.
        #[serde(default)]
        chat_id: Option<u64>,
        /// The platform's id of this event (a repeat carries the same id).
        event_id: u64,
        /// The rating.
        score: u8,
    },
    /// A SmartAction of the call completed (UPD-10).
    #[serde(rename = "smart_action.completed")]
    SmartActionCompleted {
        /// Call id.
        call_id: u64,
        /// The platform's id of this event.
        event_id: u64,
        /// The SmartAction's name.
        action: String,
        /// Its results, `[[name, value], …]` in the platform's order.
        #[serde(default)]
        results: Vec<(String, String)>,
        /// Links to the files the customer shared.
        #[serde(default)]
        files: Vec<String>,
    },
    /// A SmartAction of the call failed (UPD-11).
    #[serde(rename = "smart_action.failed")]
    SmartActionFailed {
        /// Call id.
        call_id: u64,
        /// The platform's id of this event.
        event_id: u64,
        /// The SmartAction's name.
        action: String,
        /// The error the customer or the service met.
        #[serde(default)]
        error: String,
    },
    /// An API direct access point answered during the call (UPD-16).
    #[serde(rename = "api.response")]
    ApiResponse {
        /// Call id.
        call_id: u64,
        /// The platform's id of this event.
        event_id: u64,
        /// The access point.
        #[serde(default)]
        source: String,
        /// What it returned.
        #[serde(default)]
        data: serde_json::Value,
    },
    /// Custom data an SDK sent during the call's session (UPD-12, UPD-13, AGENT-8, AGENT-9).
    #[serde(rename = "session.custom_data")]
    CustomData {
        /// The call.
        call_id: u64,
        /// The platform's id for this event (a repeat has the same).
        event_id: u64,
        /// The data, key by key (values as the SDK sent them).
        #[serde(default)]
        data: serde_json::Map<String, serde_json::Value>,
    },
    /// The call's recording, available after the call had ended (UPD-7).
    #[serde(rename = "call.recording_ready")]
    RecordingReady {
        /// The call.
        call_id: u64,
        /// The platform's id for this event.
        event_id: u64,
        /// The recording.
        recording_url: String,
        /// Outbound or inbound.
        #[serde(default)]
        direction: Direction,
        /// The customer's number.
        #[serde(default)]
        customer_number: String,
        /// Talk, wait and hold times.
        #[serde(default)]
        durations: Durations,
        /// The platform's number on the call.
        #[serde(default)]
        line: String,
        /// When the call started (ISO-8601).
        #[serde(default)]
        started_at: String,
    },
    /// The call was transferred from one agent to another (UPD-9): the sending adapter stops
    /// writing for it, the receiving one takes it on.
    #[serde(rename = "call.transferred")]
    Transferred {
        /// The call.
        call_id: u64,
        /// The platform's id for this event.
        event_id: u64,
        /// The platform agent who had the call.
        from_agent_id: u64,
        /// The agent who has it now.
        to_agent: TransferredTo,
        /// The ticket the call is logged on, when the platform knows it.
        #[serde(default)]
        ticket_id: Option<u64>,
        /// The call's status now.
        status: CallStatus,
        /// Outbound or inbound.
        #[serde(default)]
        direction: Direction,
        /// The customer's number.
        #[serde(default)]
        customer_number: String,
        /// The call's language.
        #[serde(default)]
        lang: String,
        /// The queue/menu path.
        #[serde(default)]
        menu_path: String,
        /// Talk, wait and hold times so far (the receiver's timer goes on from the call's).
        #[serde(default)]
        durations: Durations,
    },
    /// The ticket of a call transferred to this agent became known (the sending adapter
    /// reported it after the transfer).
    #[serde(rename = "call.ticket")]
    TicketKnown {
        /// The call.
        call_id: u64,
        /// Its ticket.
        ticket_id: u64,
    },
    /// A voicemail was left in a queue the agent serves.
    #[serde(rename = "voicemail.created")]
    VoicemailCreated {
        /// The voicemail.
        voicemail: domain::history::Voicemail,
    },
    /// A voicemail was read, closed or called back (here, by another agent, or elsewhere).
    #[serde(rename = "voicemail.updated")]
    VoicemailUpdated {
        /// The voicemail as it now is.
        voicemail: domain::history::Voicemail,
    },
    /// An administrator saved the settings: the adapter reads them again.
    #[serde(rename = "settings.changed")]
    SettingsChanged,
    /// The account's ticket fields changed (one was created, renamed or removed): the adapter
    /// reads them again.
    #[serde(rename = "crm.fields_changed")]
    FieldsChanged,
    /// The platform refused the stream (`{"type":"error","error":"unauthorized"}`): the session
    /// ended (expired, signed out elsewhere). The stream stops; the agent must sign in again.
    #[serde(rename = "error")]
    Refused {
        /// The platform's reason.
        #[serde(default)]
        error: String,
    },
    /// Anything else.
    #[serde(other)]
    Other,
}

impl PlatformEvent {
    /// The event a frame of the stream carries: `text` is one JSON object with a string `type`
    /// (the event) and the event's fields, in any order; other fields are ignored, a missing
    /// field without a default or a value of the wrong type is an error, and a `type` the
    /// adapter does not know is [`PlatformEvent::Other`].
    pub fn from_json(text: &str) -> Result<PlatformEvent, serde_json::Error> {
        /// The first pass: the event's name alone (every other value skipped unread).
        #[derive(Deserialize)]
        struct Kind<'a> {
            #[serde(rename = "type", borrow)]
            kind: std::borrow::Cow<'a, str>,
        }
        let Kind { kind } = serde_json::from_str(text)?;
        // The second: the same text as the variant's fields.
        let mut fields = serde_json::Deserializer::from_str(text);
        let event = PlatformEvent::deserialize(Tagged {
            kind: &kind,
            fields: &mut fields,
        })?;
        fields.end()?;
        Ok(event)
    }
}

/// An event's text seen as an enum: the variant is its `type`, and the variant's fields are
/// read from the whole object (where `type` is one more field, ignored).
struct Tagged<'a, 'de> {
    kind: &'a str,
    fields: &'a mut serde_json::Deserializer<serde_json::de::StrRead<'de>>,
}

impl<'de> serde::Deserializer<'de> for Tagged<'_, 'de> {
    type Error = serde_json::Error;

    fn deserialize_enum<V: serde::de::Visitor<'de>>(
        self,
        _name: &'static str,
        _variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Self::Error> {
        visitor.visit_enum(self)
    }

    fn deserialize_any<V: serde::de::Visitor<'de>>(self, _: V) -> Result<V::Value, Self::Error> {
        Err(serde::de::Error::custom("an event is read as an enum"))
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf
        option unit unit_struct newtype_struct seq tuple tuple_struct map struct identifier
        ignored_any
    }
}

impl<'de> serde::de::EnumAccess<'de> for Tagged<'_, 'de> {
    type Error = serde_json::Error;
    type Variant = Self;

    fn variant_seed<V: serde::de::DeserializeSeed<'de>>(
        self,
        seed: V,
    ) -> Result<(V::Value, Self), Self::Error> {
        use serde::de::IntoDeserializer;
        let variant = seed.deserialize(self.kind.into_deserializer())?;
        Ok((variant, self))
    }
}

impl<'de> serde::de::VariantAccess<'de> for Tagged<'_, 'de> {
    type Error = serde_json::Error;

    /// An event without fields: its object is still read whole (and must be an object).
    fn unit_variant(self) -> Result<(), Self::Error> {
        serde::Deserializer::deserialize_map(&mut *self.fields, serde::de::IgnoredAny).map(|_| ())
    }

    fn newtype_variant_seed<T: serde::de::DeserializeSeed<'de>>(
        self,
        _: T,
    ) -> Result<T::Value, Self::Error> {
        Err(serde::de::Error::custom("no event is a newtype variant"))
    }

    fn tuple_variant<V: serde::de::Visitor<'de>>(
        self,
        _: usize,
        _: V,
    ) -> Result<V::Value, Self::Error> {
        Err(serde::de::Error::custom("no event is a tuple variant"))
    }

    fn struct_variant<V: serde::de::Visitor<'de>>(
        self,
        fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Self::Error> {
        serde::Deserializer::deserialize_struct(&mut *self.fields, "", fields, visitor)
    }
}

/// A chat as the platform describes it (`GET /chats`, `chat.offered`, an accept's answer).
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
pub struct ChatInfo {
    /// Chat id.
    pub id: u64,
    /// Offered, active or ended.
    #[serde(default)]
    pub status: domain::chat::ChatStatus,
    /// Web or mobile SDK.
    #[serde(default)]
    pub platform: Option<domain::crm::SessionPlatform>,
    /// The menu path the customer chose.
    #[serde(default)]
    pub menu_path: String,
    /// The chat's language.
    #[serde(default)]
    pub lang: String,
    /// The SDK's contact parameters.
    #[serde(default)]
    pub customer: domain::chat::ChatCustomer,
    /// The SDK's custom data.
    #[serde(default)]
    pub custom_data: serde_json::Map<String, serde_json::Value>,
    /// The messages so far, oldest first.
    #[serde(default)]
    pub messages: Vec<domain::chat::ChatMessage>,
    /// When it was offered (ISO-8601).
    #[serde(default)]
    pub offered_at: String,
    /// When the agent took it.
    #[serde(default)]
    pub accepted_at: Option<String>,
    /// When it ended.
    #[serde(default)]
    pub ended_at: Option<String>,
    /// Who ended it.
    #[serde(default)]
    pub ended_by: Option<domain::chat::Author>,
    /// Seconds in the queue.
    #[serde(default)]
    pub wait_s: u64,
    /// The queue.
    #[serde(default)]
    pub queue: String,
    /// The agent who handed it over, for a transferred chat.
    #[serde(default)]
    pub transferred_from: Option<TransferredTo>,
    /// The ticket the chat is logged on, once the adapter that logs it has named it.
    #[serde(default)]
    pub ticket_id: Option<u64>,
}

impl ChatInfo {
    /// The chat as the adapter holds it.
    pub fn into_chat(self) -> domain::chat::Chat {
        let custom_data = self
            .custom_data
            .into_iter()
            .map(|(k, v)| match v {
                serde_json::Value::String(s) => (k, s),
                other => (k, other.to_string()),
            })
            .collect();
        let mut chat = domain::chat::Chat {
            id: self.id,
            status: self.status,
            platform: self.platform,
            menu: self.menu_path,
            lang: self.lang,
            customer: self.customer,
            custom_data,
            offered_at: self.offered_at,
            accepted_at: self.accepted_at,
            ended_at: self.ended_at,
            ended_by: self.ended_by,
            wait_s: self.wait_s,
            queue: self.queue,
            transferred_from: self.transferred_from.map(|t| t.name),
            ticket_id: self.ticket_id,
            ..Default::default()
        };
        for m in self.messages {
            chat.add_message(m);
        }
        chat
    }
}
