//! The catalogue of every word the adapter shows or writes.
//!
//! Spec §0 "Labels": all labels live in one table so they can be corrected or translated in one
//! place. [`Label`] names an entry; [`Catalogue`] maps entries to text for one language and falls
//! back to English for anything a translation leaves out. Texts marked † in the spec are
//! translations of the Italian seed.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// One entry of the catalogue.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Label {
    /// UI-4 placeholder of an empty number display.
    NumberPlaceholder,
    /// UI-8 checkbox.
    UseEnteredNumber,
    /// UI-9 field.
    ContactId,
    /// UI-10 field.
    TicketId,
    /// MATRIX-0.0 pseudo-contact†.
    NewContact,
    /// UI-10 pseudo-ticket†.
    NewTicket,
    /// SET-5 chooser entry.
    CreateNewTicket,
    /// SET-7 chooser entry.
    DoNotCreateTicket,
    /// UI-11 button.
    Call,
    /// UI-12 button.
    Cancel,
    /// UI-6 button†.
    Next,
    /// UI-1 selector.
    Language,
    /// UI-1 selector.
    OutboundNumber,
    /// Comment heading: standard data (AGENT-6).
    StandardData,
    /// Comment key.
    CallId,
    /// Comment key.
    ChatId,
    /// Comment key.
    MenuSelection,
    /// Comment heading: custom data (AGENT-8).
    CustomData,
    /// Comment heading: call finished (UPD-7).
    CallFinished,
    /// Comment key.
    Duration,
    /// Comment key.
    Recording,
    /// Comment heading: dialled number (FLOW-10).
    DialledNumber,
    /// Comment key.
    Extension,
    /// Comment heading: Smart Action result (UPD-10).
    SmartActionCompleted,
    /// Comment heading: Smart Action failure (UPD-11).
    SmartActionFailed,
    /// Comment key.
    Files,
    /// Comment key.
    Error,
    /// Comment heading: CSAT (UPD-14).
    CustomerSatisfaction,
    /// Comment key.
    Score,
    /// Voicemail read (UPD-15).
    VoicemailRead,
    /// Voicemail closed (UPD-15).
    VoicemailClosed,
    /// Voicemail called back (UPD-15).
    VoicemailCalledBack,
    /// Comment key.
    Agent,
    /// Comment heading: API response (UPD-16).
    ApiResponse,
    /// Comment text: no designated field (UPD-13).
    NoDesignatedField,
    /// Comment heading: transfer (UPD-9).
    TransferredTo,
    /// Ticket subject prefix: inbound call.
    SubjectInboundCall,
    /// Ticket subject prefix: outbound call.
    SubjectOutboundCall,
    /// Ticket subject prefix: voicemail.
    SubjectVoicemail,
    /// Ticket subject prefix: abandoned call.
    SubjectAbandonedCall,
    /// Temporary contact name prefix (CONTACT-8).
    CallerNamePrefix,
    /// Channel name.
    ChannelCall,
    /// Channel name.
    ChannelChat,
    /// Platform name.
    PlatformIvr,
    /// Platform name.
    PlatformWeb,
    /// Platform name.
    PlatformMobile,
    /// Platform name.
    PlatformOutbound,
    /// Error: FLOW-11 / SET-9.
    ErrUnsavedNumberDisabled,
    /// Error: SET-10, the checkbox is needed.
    ErrUnsavedNumberTickBox,
    /// Error: UI-7.
    ErrNumberNotPossible,
    /// Warning: UI-7.
    WarnNumberNotValid,
    /// Error: UI-11.
    ErrChooseContact,
    /// Error: UI-11.
    ErrChooseTicket,
    /// Error: UI-4.
    ErrNoNumber,
    /// Error: TEAM-16.
    ErrTeamEnterNewNumber,
    /// Error: TEAM-17.
    ErrTeamClickToCall,
    /// Error: TEAM-10†.
    ErrTicketNotFound,
    /// Error: TEAM-9.
    ErrTicketNotUsable,
    /// Error: TEAM-5.
    ErrTicketIdRequired,
    /// Error: TEAM-20.
    ErrTicketFieldEmpty,
    /// Error: the Ticket ID typed is not a number.
    ErrTicketIdInvalid,
    /// Error: no outbound number to call from (TEAM-14).
    ErrNoOutboundNumber,
    /// Error: the requester of the ticket has no phone number (TEAM-6).
    ErrRequesterNoPhone,
    /// Status name.
    StatusNew,
    /// Status name.
    StatusOpen,
    /// Status name.
    StatusPending,
    /// Status name.
    StatusHold,
    /// Status name.
    StatusSolved,
    /// Status name.
    StatusClosed,
    /// Closes the banner.
    Dismiss,
    /// The dial screen's name.
    OutboundCallTitle,
    /// The number display's name.
    PhoneNumber,
    /// The keypad icon and the keypad.
    Keypad,
    /// The keypad's delete key.
    DeleteDigit,
    /// While CRM data loads.
    LookingUp,
    /// Sign-in heading.
    SignInTitle,
    /// Sign-in field.
    Email,
    /// Sign-in field.
    Password,
    /// Sign-in button.
    SignIn,
    /// Sign-in button while waiting.
    SigningIn,
    /// Sign-in with an empty field.
    ErrEmailPasswordRequired,
    /// The platform_url setting is missing.
    ErrNoPlatformUrl,
    /// Click-to-call in a tab that does not lead.
    OtherTabActive,
    /// Click-to-call before sign-in.
    SignInFirst,
    /// A write to a closed ticket.
    ErrTicketClosedWrite,
    /// Booting.
    Connecting,
    /// Heading of the unavailable screen.
    CannotStart,
    /// In-call status.
    CallDialling,
    /// In-call status.
    CallRinging,
    /// In-call status.
    CallConnected,
    /// In-call status.
    CallOnHold,
    /// In-call status.
    CallEnded,
    /// In-call button.
    HangUp,
    /// In-call button.
    Hold,
    /// In-call button.
    Resume,
    /// After the call: opens its ticket.
    OpenTicket,
    /// After the call: back to the dial screen.
    NewCall,
    /// After the call: where it was logged.
    LoggedOnTicket,
    /// A call whose first job failed or was refused: nothing of it is written.
    NotLogged,
    /// The contact's stored numbers, offered when a typed number cannot be used (FLOW-11).
    ContactNumbers,
    /// The keypad's country picker (UI-7).
    Country,
    /// In-call: an inbound call offered to the agent, before the caller's number.
    IncomingCall,
    /// In-call button: answer an inbound call.
    Answer,
    /// TICKET-6: heading of the contacts to pick the caller from.
    WhoIsCalling,
    /// In-call: the touch tones sent so far.
    TonesSent,
    /// Keypad button: paste a number.
    Paste,
    /// When the browser does not let the adapter read the clipboard.
    PasteHint,
    /// The clipboard holds no digits.
    NothingToPaste,
    /// In-call button: refuse an inbound call offered to the agent.
    Decline,
    /// An inbound call's ticket could not be worked out (Zendesk could not be read).
    ErrCallNotLogged,
    /// Keypad: the name of the * key for screen readers.
    KeyStar,
    /// Keypad: the name of the # key.
    KeyHash,
    /// Keypad: the name of the + key.
    KeyPlus,
    /// A field whose data is still being read.
    Loading,
    /// Sign-in refused: wrong email or password.
    ErrBadCredentials,
    /// The platform session ended (401).
    ErrSessionEnded,
    /// The platform refused a request (its reason follows).
    ErrPlatformRefused,
    /// The platform did not answer.
    ErrPlatformUnreachable,
    /// The platform answered something unexpected.
    ErrPlatformUnexpected,
    /// Zendesk did not answer (network, 5xx).
    ErrZendeskUnreachable,
    /// Zendesk's rate limit (429).
    ErrZendeskBusy,
    /// Zendesk has no such record (404).
    ErrZendeskNotFound,
    /// Zendesk refused the data (4xx).
    ErrZendeskRefused,
    /// Zendesk refused access (401: the agent's Zendesk session).
    ErrZendeskDenied,
    /// Zendesk answered something unexpected.
    ErrZendeskUnexpected,
    /// A lookup failed and is tried again; the seconds follow.
    LookupRetrying,
    /// The page is not in Zendesk or Zendesk did not answer.
    ErrZafUnavailable,
    /// The page that frames the adapter is not Zendesk.
    ErrForeignHost,
    /// The platform_url setting is not https.
    ErrInsecurePlatform,
    /// Names the platform host the sign-in form sends the password to; the host follows.
    SignInTo,
    /// Stored writes that could not be read were set aside.
    WritesSetAside,
    /// Stored writes older than three days were removed; the count follows.
    WritesExpired,
    /// Writes refused by Zendesk (401/403) wait; said beside the refusal.
    WritesWaitForAccess,
    /// The dial screen's Sign out button.
    SignOut,
    /// Shown on the sign-in form after the agent signed out.
    SignedOut,
    /// After sign-out: writes not yet made were handed to the platform.
    WritesHandedOver,
    /// After sign-out: writes not yet made stay in this browser (the platform was out of reach).
    WritesKeptHere,
    /// Sign out refused while a call is on.
    SignOutAfterCall,
    /// After "Ticket #N": the ticket the call was placed on was solved, closed or given to
    /// another requester meanwhile, so the call is logged on a new ticket (UPD-3, the collision
    /// check).
    CallMovedToNewTicket,
    /// The call on screen was transferred to another agent (UPD-9); the agent's name follows.
    CallTransferredTo,
    /// A call was transferred to this agent (UPD-9).
    CallTransferredToYou,
    /// The home screen's place for a new call (short: it shares a row with two others).
    NavNewCall,
    /// The Recent screen and its key on the home screen.
    Recent,
    /// The Voicemail screen and its key on the home screen.
    Voicemails,
    /// A call of the history that was answered.
    OutcomeAnswered,
    /// A call of the history shorter than 10 seconds (UPD-6).
    OutcomeTooShort,
    /// A call of the history nobody answered.
    OutcomeMissed,
    /// A customer's call of the history the caller left before an agent answered (the
    /// platform's "abandoned"). A customer's call in the agent's history rang for the agent, so
    /// it is said as a missed call, as the call screen said it ([`Label::CallMissed`]), with why.
    OutcomeAbandoned,
    /// A call of the history that left a voicemail.
    OutcomeVoicemail,
    /// A customer's call.
    Inbound,
    /// A call the agent placed.
    Outbound,
    /// Recent and Voicemail: call the customer back.
    CallBack,
    /// UPD-5 button†.
    HangUpAndCallBack,
    /// UPD-6 button†, after a call shorter than 10 seconds.
    Callback,
    /// Voicemail: mark it listened to (UPD-15).
    MarkRead,
    /// Voicemail: close it (UPD-15).
    CloseVoicemail,
    /// Voicemail: not listened to yet.
    Unread,
    /// Recent: the next page.
    ShowMore,
    /// Recent with nothing to list.
    NoRecentCalls,
    /// Voicemail with nothing to list.
    NoVoicemails,
    /// Recent could not be read.
    HistoryFailed,
    /// Voicemail could not be read.
    VoicemailsFailed,
    /// A voicemail action the platform refused.
    VoicemailActionFailed,
    /// Button: read again what failed.
    TryAgain,
    /// Home screen status line, before the agent's name.
    SignedInAs,
    /// Home screen: how the keys work.
    HomeKeys,
    /// Voicemail: the platform's transcript.
    Transcript,
    /// The heading of a chat's transcript comment.
    ChatTranscript,
    /// After the transcript heading: the times are UTC.
    TimesInUtc,
    /// A transcript of a chat without messages.
    NoMessages,
    /// A web chat's customer who gave no name.
    WebVisitor,
    /// A mobile chat's customer who gave no name.
    MobileVisitor,
    /// The composer refuses an empty message.
    MessageEmpty,
    /// The composer refuses a message over the platform's limit.
    MessageTooLong,
    /// The offer of a chat: its heading.
    NewChat,
    /// The offer of a chat: take it.
    Accept,
    /// A chat: end it.
    EndChat,
    /// A chat the agent ended.
    ChatEndedByAgent,
    /// A chat the customer left.
    CustomerLeft,
    /// The composer's button.
    Send,
    /// A message that failed: send it again.
    SendAgain,
    /// A message that failed to send.
    NotSent,
    /// A message on its way.
    Sending,
    /// A message the platform has.
    Delivered,
    /// After the customer's name: they are typing.
    IsTyping,
    /// The composer's label.
    WriteMessage,
    /// The composer's hint.
    ComposerKeys,
    /// The row of session tabs.
    Sessions,
    /// The platform refused a chat action.
    ChatFailed,
    /// A chat offered no more (taken, ended or transferred).
    ChatTakenElsewhere,
    /// The chat was transferred to another agent.
    ChatTransferredAway,
    /// Closes an ended chat's tab.
    Close,
    /// The agent's own messages.
    You,
    /// The session tab of the phone (the call, the dial screen, Recent, Voicemail).
    SessionCall,
    /// The agent has as many chats as the platform allows.
    ChatsAtLimit,
    /// A chat offered after a transfer: before the name of the agent who sent it.
    TransferredBy,
    /// A session waits for the phone data, whose fetch failed and is tried again.
    PhoneDataRetrying,
    /// A session waits for the adapter's session code (loaded apart), whose fetch failed and is
    /// tried again.
    SessionCodeRetrying,
    /// The contact a click-to-call asked for is no longer in Zendesk; the number decided.
    ContactGone,
    /// TEAM-5: the hint in an optional Ticket ID entry: left blank, the call gets a new ticket.
    TicketIdBlankHint,
    /// After a contact's name: the contact was deleted in Zendesk during their call (before its
    /// ticket was made); the call is logged on a contact made for the number.
    CallMovedToNewContact,
    /// A chat that went to another agent while the event stream was down (its transfer's event
    /// never came): its tab closed, with who it was with.
    ChatGoneWhileAway,
    /// The call on screen went to another agent while the event stream was down (its
    /// transfer's event never came): it shows ended here.
    CallGoneWhileAway,
    /// A chat's first job could not be decided (its reads failed for good): nothing of it is
    /// written.
    ErrChatNotLogged,
    /// Comment heading: a chat's standard data (AGENT-6; a call's is [`Label::StandardData`]).
    ChatStandardData,
    /// A chat the agent was told could not be logged is logged after all (its end decided its
    /// first job again).
    ChatLoggedAfterAll,
    /// In-call: the call's ticket is not known yet, its first job being worked out (its reads
    /// may wait out a rate limit) or waiting in the outbox.
    CallLogging,
    /// Zendesk answered a request with a server error (5xx): it was reached, and failed.
    ErrZendeskServer,
    /// The platform answered a request with a server error (5xx).
    ErrPlatformServer,
    /// Call pressed while another of the agent's tabs has a call on.
    ErrCallInOtherTab,
    /// In-call status: a customer's call that ended while it rang for the agent.
    CallMissed,
    /// In-call status: Hang up pressed, the platform not answered yet.
    CallHangingUp,
    /// A call placed with "Do not create a ticket" (OUT-10): not logged, by the agent's
    /// choice (not said as the failure [`Label::NotLogged`] is).
    NotLoggedAsChosen,
    /// Team ticket entry, the Ticket ID optional (TEAM-5): nothing to call yet, and a Ticket ID
    /// alone would do (its requester is called, TEAM-6).
    ErrNoNumberOrTicketId,
    /// Team ticket entry: the Ticket ID's number is called instead of the number typed, which
    /// is kept (TEAM-6).
    NoteTicketNumberReplacesTyped,
    /// A lookup waits out Zendesk's rate limit (429) and is tried again; the seconds follow.
    /// Not a failure of the lookup: nothing is wrong with it or with the agent's input.
    LookupWaitsForZendesk,
    /// A call the agent placed that the customer did not answer: in the history (the platform's
    /// "missed" or "abandoned" on an outbound call), and as the call screen's status when the
    /// other end ended it before an answer ([`crate::call::ActiveCall::unanswered`]).
    OutcomeNoAnswer,
    /// The word before a ticket's `#id` at the start of a sentence ("Ticket #12 cannot be
    /// used…"; in Italian with its article, "Il ticket #12 non può…").
    TicketNumbered,
    /// Said, not shown, before a chat tab's count of messages the agent has not seen.
    UnreadMessages,
    /// Zendesk refused access to one record (403): the agent's role does not allow it.
    ErrZendeskForbidden,
    /// The in-call screen: the call's first writes wait for Zendesk's access.
    WaitingForAccess,
    /// After "Ticket #id": an inbound call's ticket was solved, closed or given to another
    /// requester after the call rang and before it was logged.
    CallMovedToNewTicketRinging,
    /// A click-to-call (or a call back) while a call is on in this tab.
    ErrOnCall,
    /// The detail of a 403 on a write: the call's writes wait, the others go on.
    WritesWaitRefused,
    /// SET-10: the Contact ID typed names no contact.
    ErrContactNotFound,
    /// SET-15: the chat ticket title when the admin left it as it came.
    ChatTicketTitle,
    /// The Zendesk notification of a ringing inbound call ({number}: the caller's).
    IncomingCallFrom,
    /// A wait of one second, said in a sentence ("… again in 1 second").
    OneSecond,
    /// A wait of {n} seconds, said in a sentence ("… again in 4 seconds").
    Seconds,
    /// The detail of a 403 on writes once {n} calls (two or more) wait for it: likely the
    /// agent's role or groups, not one ticket.
    WritesWaitRefusedMany,
    /// Before a number's extension, as the agent's language writes it ("ext." / "int."); every
    /// language's is read back as a marker (`phone::split_extension`).
    ExtensionMarker,
    /// The contact centre answered 429: busy, not broken.
    ErrPlatformBusy,
}

/// True when `text` is `template` with a count in its `{n}` blank (a text as
/// [`Catalogue::fill`] filled it, whatever the count was then); a template without the blank
/// is only itself.
pub fn fills_count(template: &str, text: &str) -> bool {
    let Some((before, after)) = template.split_once("{n}") else {
        return template == text;
    };
    text.strip_prefix(before)
        .and_then(|rest| rest.strip_suffix(after))
        .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
}

impl Label {
    /// Every label, in declaration order: what a translation must cover.
    pub const ALL: &'static [Label] = {
        use Label::*;
        &[
            NumberPlaceholder,
            UseEnteredNumber,
            ContactId,
            TicketId,
            NewContact,
            NewTicket,
            CreateNewTicket,
            DoNotCreateTicket,
            Call,
            Cancel,
            Next,
            Language,
            OutboundNumber,
            StandardData,
            CallId,
            ChatId,
            MenuSelection,
            CustomData,
            CallFinished,
            Duration,
            Recording,
            DialledNumber,
            Extension,
            SmartActionCompleted,
            SmartActionFailed,
            Files,
            Error,
            CustomerSatisfaction,
            Score,
            VoicemailRead,
            VoicemailClosed,
            VoicemailCalledBack,
            Agent,
            ApiResponse,
            NoDesignatedField,
            TransferredTo,
            SubjectInboundCall,
            SubjectOutboundCall,
            SubjectVoicemail,
            SubjectAbandonedCall,
            CallerNamePrefix,
            ChannelCall,
            ChannelChat,
            PlatformIvr,
            PlatformWeb,
            PlatformMobile,
            PlatformOutbound,
            ErrUnsavedNumberDisabled,
            ErrUnsavedNumberTickBox,
            ErrNumberNotPossible,
            WarnNumberNotValid,
            ErrChooseContact,
            ErrChooseTicket,
            ErrNoNumber,
            ErrTeamEnterNewNumber,
            ErrTeamClickToCall,
            ErrTicketNotFound,
            ErrTicketNotUsable,
            ErrTicketIdRequired,
            ErrTicketFieldEmpty,
            ErrTicketIdInvalid,
            ErrNoOutboundNumber,
            ErrRequesterNoPhone,
            StatusNew,
            StatusOpen,
            StatusPending,
            StatusHold,
            StatusSolved,
            StatusClosed,
            Dismiss,
            OutboundCallTitle,
            PhoneNumber,
            Keypad,
            DeleteDigit,
            LookingUp,
            SignInTitle,
            Email,
            Password,
            SignIn,
            SigningIn,
            ErrEmailPasswordRequired,
            ErrNoPlatformUrl,
            OtherTabActive,
            SignInFirst,
            ErrTicketClosedWrite,
            Connecting,
            CannotStart,
            CallDialling,
            CallRinging,
            CallConnected,
            CallOnHold,
            CallEnded,
            HangUp,
            Hold,
            Resume,
            OpenTicket,
            NewCall,
            LoggedOnTicket,
            NotLogged,
            ContactNumbers,
            Country,
            IncomingCall,
            Answer,
            WhoIsCalling,
            TonesSent,
            Paste,
            PasteHint,
            NothingToPaste,
            Decline,
            ErrCallNotLogged,
            KeyStar,
            KeyHash,
            KeyPlus,
            Loading,
            ErrBadCredentials,
            ErrSessionEnded,
            ErrPlatformRefused,
            ErrPlatformUnreachable,
            ErrPlatformUnexpected,
            ErrZendeskUnreachable,
            ErrZendeskBusy,
            ErrZendeskNotFound,
            ErrZendeskRefused,
            ErrZendeskDenied,
            ErrZendeskUnexpected,
            LookupRetrying,
            ErrZafUnavailable,
            ErrForeignHost,
            ErrInsecurePlatform,
            SignInTo,
            WritesSetAside,
            WritesExpired,
            WritesWaitForAccess,
            SignOut,
            SignedOut,
            WritesHandedOver,
            WritesKeptHere,
            SignOutAfterCall,
            CallMovedToNewTicket,
            CallTransferredTo,
            CallTransferredToYou,
            NavNewCall,
            Recent,
            Voicemails,
            OutcomeAnswered,
            OutcomeTooShort,
            OutcomeMissed,
            OutcomeAbandoned,
            OutcomeVoicemail,
            Inbound,
            Outbound,
            CallBack,
            HangUpAndCallBack,
            Callback,
            MarkRead,
            CloseVoicemail,
            Unread,
            ShowMore,
            NoRecentCalls,
            NoVoicemails,
            HistoryFailed,
            VoicemailsFailed,
            VoicemailActionFailed,
            TryAgain,
            SignedInAs,
            HomeKeys,
            Transcript,
            ChatTranscript,
            TimesInUtc,
            NoMessages,
            WebVisitor,
            MobileVisitor,
            MessageEmpty,
            MessageTooLong,
            NewChat,
            Accept,
            EndChat,
            ChatEndedByAgent,
            CustomerLeft,
            Send,
            SendAgain,
            NotSent,
            Sending,
            Delivered,
            IsTyping,
            WriteMessage,
            ComposerKeys,
            Sessions,
            ChatFailed,
            ChatTakenElsewhere,
            ChatTransferredAway,
            Close,
            You,
            SessionCall,
            ChatsAtLimit,
            TransferredBy,
            PhoneDataRetrying,
            SessionCodeRetrying,
            ContactGone,
            TicketIdBlankHint,
            CallMovedToNewContact,
            ChatGoneWhileAway,
            CallGoneWhileAway,
            ErrChatNotLogged,
            ChatStandardData,
            ChatLoggedAfterAll,
            CallLogging,
            ErrZendeskServer,
            ErrPlatformServer,
            ErrCallInOtherTab,
            CallMissed,
            CallHangingUp,
            NotLoggedAsChosen,
            ErrNoNumberOrTicketId,
            NoteTicketNumberReplacesTyped,
            LookupWaitsForZendesk,
            OutcomeNoAnswer,
            TicketNumbered,
            UnreadMessages,
            ErrZendeskForbidden,
            WaitingForAccess,
            CallMovedToNewTicketRinging,
            ErrOnCall,
            WritesWaitRefused,
            ErrContactNotFound,
            ChatTicketTitle,
            IncomingCallFrom,
            OneSecond,
            Seconds,
            WritesWaitRefusedMany,
            ExtensionMarker,
            ErrPlatformBusy,
        ]
    };

    /// The English text; every label has one, so English is the complete fallback.
    pub fn english(self) -> &'static str {
        use Label::*;
        match self {
            NumberPlaceholder => "(415) 123-4567",
            UseEnteredNumber => "Use entered number to make call",
            ContactId => "Contact ID",
            TicketId => "Ticket ID",
            NewContact => "New contact",
            NewTicket => "New ticket",
            CreateNewTicket => "Create a new ticket",
            DoNotCreateTicket => "Do not create a ticket",
            Call => "Call",
            Cancel => "Cancel",
            Next => "Next",
            Language => "Language",
            OutboundNumber => "Outbound number",
            StandardData => "Call details",
            CallId => "Call ID",
            ChatId => "Chat ID",
            MenuSelection => "Menu selection",
            CustomData => "Custom data",
            CallFinished => "Call finished",
            Duration => "Duration",
            Recording => "Recording",
            DialledNumber => "Dialled number (not saved on the contact)",
            Extension => "Extension",
            SmartActionCompleted => "Smart Action completed",
            SmartActionFailed => "Smart Action failed",
            Files => "Files",
            Error => "Error",
            CustomerSatisfaction => "Customer satisfaction rating",
            Score => "Score",
            VoicemailRead => "Voicemail read",
            VoicemailClosed => "Voicemail closed",
            VoicemailCalledBack => "Voicemail called back",
            Agent => "Agent",
            ApiResponse => "API response",
            NoDesignatedField => "No designated field found for",
            TransferredTo => "Transferred to agent",
            SubjectInboundCall => "Call from",
            SubjectOutboundCall => "Call to",
            SubjectVoicemail => "Voicemail from",
            SubjectAbandonedCall => "Abandoned call from",
            CallerNamePrefix => "Caller",
            ChannelCall => "Call",
            ChannelChat => "Chat",
            PlatformIvr => "IVR",
            PlatformWeb => "Web",
            PlatformMobile => "Mobile",
            PlatformOutbound => "Outbound",
            ErrUnsavedNumberDisabled => "Calling numbers not saved on the contact is not enabled. Pick one of the contact's numbers or cancel.",
            ErrUnsavedNumberTickBox => "This number is not saved on the contact. Tick \"Use entered number to make call\" to call it.",
            ErrNumberNotPossible => "This is not a phone number that can be called.",
            WarnNumberNotValid => "This number may not be valid. Check it before calling.",
            ErrChooseContact => "Choose the contact for this call.",
            ErrChooseTicket => "Choose the ticket for this call.",
            ErrNoNumber => "Enter a phone number.",
            ErrTeamEnterNewNumber => "\"Enter new number\" cannot be used while Ticket ID entry is on for your team.",
            ErrTeamClickToCall => "Calling from a contact's phone number cannot be used while Ticket ID entry is on for your team. Enter a Ticket ID instead.",
            ErrTicketNotFound => "Ticket #{id} not found.",
            ErrContactNotFound => "Contact #{id} not found.",
            ChatTicketTitle => crate::settings::DEFAULT_TICKET_TITLE,
            IncomingCallFrom => "Incoming call from {number}",
            OneSecond => "1 second",
            Seconds => "{n} seconds",
            ExtensionMarker => "ext.",
            ErrPlatformBusy => "The contact centre is busy: too many requests. Try again in a moment.",
            WritesWaitRefusedMany => "Zendesk is refusing the updates of {n} calls or chats: your role or groups may have changed. Ask your Zendesk admin; the updates are kept and tried again.",
            ErrTicketNotUsable => "Ticket #{id} is {status}, so it cannot be used for a call.",
            ErrTicketIdRequired => "Enter a Ticket ID to call.",
            ErrTicketFieldEmpty => "Ticket #{id} has no valid phone number in the outbound phone field.",
            ErrTicketIdInvalid => "A Ticket ID is a number from 1 up, with no sign or spaces (for example 1234).",
            ErrNoOutboundNumber => "No outbound number is available for your queue.",
            ErrRequesterNoPhone => "The requester of ticket #{id} has no phone number.",
            StatusNew => "New",
            StatusOpen => "Open",
            StatusPending => "Pending",
            StatusHold => "On-hold",
            StatusSolved => "Solved",
            StatusClosed => "Closed",
            Dismiss => "Dismiss",
            OutboundCallTitle => "Outbound call",
            PhoneNumber => "Phone number",
            Keypad => "Keypad",
            DeleteDigit => "Delete last digit",
            LookingUp => "Looking up contacts and tickets…",
            SignInTitle => "Sign in to the contact centre",
            Email => "Email",
            Password => "Password",
            SignIn => "Sign in",
            SigningIn => "Signing in…",
            ErrEmailPasswordRequired => "Enter your email and password.",
            ErrNoPlatformUrl => "The adapter has no contact-centre address. Ask your Zendesk administrator to set it in the app's settings.",
            OtherTabActive => "Zendesk is open in another tab: the adapter there handles calls.",
            SignInFirst => "Sign in to the adapter to place calls.",
            ErrTicketClosedWrite => "The ticket is closed: the call's data could not be added to it.",
            Connecting => "Connecting to Zendesk…",
            CannotStart => "The adapter cannot start",
            CallDialling => "Dialling…",
            CallRinging => "Ringing…",
            CallConnected => "Connected",
            CallOnHold => "On hold",
            CallEnded => "Call ended",
            HangUp => "Hang up",
            Hold => "Hold",
            Resume => "Resume",
            OpenTicket => "Open ticket",
            NewCall => "New call",
            LoggedOnTicket => "Logged on ticket",
            NotLogged => "Not logged in Zendesk",
            ContactNumbers => "The contact's numbers",
            Country => "Country",
            IncomingCall => "Incoming call",
            Answer => "Answer",
            WhoIsCalling => "Several contacts have this number. Who is calling?",
            TonesSent => "Tones sent",
            Paste => "Paste",
            PasteHint => "Press Ctrl+V (⌘V on a Mac) to paste the number.",
            NothingToPaste => "The clipboard holds no phone number.",
            Decline => "Decline",
            ErrCallNotLogged => "The call could not be logged in Zendesk",
            KeyStar => "star",
            KeyHash => "hash",
            KeyPlus => "plus",
            Loading => "Loading…",
            ErrBadCredentials => "The email or password is not correct.",
            ErrSessionEnded => "Your session has ended. Sign in again.",
            ErrPlatformRefused => "The contact centre refused the request.",
            ErrPlatformUnreachable => "The contact centre cannot be reached. Check your connection and try again.",
            ErrPlatformUnexpected => "The contact centre sent an unexpected answer.",
            ErrZendeskUnreachable => "Zendesk could not be reached.",
            ErrZendeskBusy => "Zendesk is busy: too many requests for the account. The adapter waits and tries again.",
            ErrZendeskNotFound => "Zendesk could not find the record.",
            ErrZendeskRefused => "Zendesk refused the data.",
            ErrZendeskDenied => "Zendesk refused access: your Zendesk session may have ended.",
            ErrZendeskUnexpected => "Zendesk sent an unexpected answer.",
            LookupRetrying => "The lookup in Zendesk failed. Trying again in {wait}.",
            ErrZafUnavailable => "Zendesk did not answer. Open the adapter from Zendesk, or reload the page.",
            ErrForeignHost => "The page that opened the adapter is not Zendesk, so the adapter does not ask for your password here. Open it from Zendesk's top bar.",
            ErrInsecurePlatform => "The contact-centre address in the app's settings is not secure (it must start with https://). Ask your Zendesk administrator to correct it.",
            SignInTo => "Contact centre",
            WritesSetAside => "Some Zendesk updates saved in this browser could not be read. They were kept aside, not sent: tell your administrator.",
            WritesExpired => "Zendesk updates older than three days were found in this browser and not sent (updates deleted: {n}): their calls are too old to log now.",
            WritesWaitForAccess => "The updates wait and are sent once Zendesk lets the adapter in again.",
            SignOut => "Sign out",
            SignedOut => "You are signed out.",
            WritesHandedOver => "Zendesk updates not written yet are kept by the contact centre and written when you next sign in.",
            WritesKeptHere => "The contact centre could not be reached: Zendesk updates not written yet stay in this browser until you sign in again here.",
            SignOutAfterCall => "End the call before signing out.",
            CallMovedToNewTicket => "Ticket #{id} was solved, closed or given to another customer in Zendesk while the call was being placed, so the call is logged on a new ticket.",
            CallTransferredTo => "Call transferred to",
            CallTransferredToYou => "A call was transferred to you.",
            NavNewCall => "New call",
            Recent => "Recent",
            Voicemails => "Voicemail",
            OutcomeAnswered => "Answered",
            OutcomeTooShort => "Too short",
            OutcomeMissed => "Missed",
            OutcomeAbandoned => "Missed: the caller hung up",
            OutcomeVoicemail => "Voicemail",
            Inbound => "Inbound",
            Outbound => "Outbound",
            CallBack => "Call back",
            HangUpAndCallBack => "Hang up and call back",
            Callback => "Callback",
            MarkRead => "Mark read",
            CloseVoicemail => "Close",
            Unread => "Unread",
            ShowMore => "Show more",
            NoRecentCalls => "No calls in the last 3 days.",
            NoVoicemails => "No voicemails to deal with.",
            HistoryFailed => "Recent calls could not be loaded.",
            VoicemailsFailed => "Voicemails could not be loaded.",
            VoicemailActionFailed => "The voicemail could not be updated.",
            TryAgain => "Try again",
            SignedInAs => "Signed in as",
            HomeKeys => "Keys: N new call, R recent, V voicemail.",
            Transcript => "Transcript",
            ChatTranscript => "Chat transcript",
            TimesInUtc => "times UTC",
            NoMessages => "No messages.",
            WebVisitor => "Web visitor",
            MobileVisitor => "Mobile visitor",
            MessageEmpty => "Write a message first.",
            MessageTooLong => "The message is too long (4000 characters at most).",
            NewChat => "New chat",
            Accept => "Accept",
            EndChat => "End chat",
            ChatEndedByAgent => "Chat ended",
            CustomerLeft => "The customer left the chat",
            Send => "Send",
            SendAgain => "Send again",
            NotSent => "Not sent",
            Sending => "Sending…",
            Delivered => "Delivered",
            IsTyping => "is typing…",
            WriteMessage => "Message",
            ComposerKeys => "Enter sends, Shift+Enter starts a new line.",
            Sessions => "Sessions",
            ChatFailed => "The chat could not be updated.",
            ChatTakenElsewhere => "This chat is no longer offered to you.",
            ChatTransferredAway => "Chat transferred to",
            Close => "Close",
            You => "You",
            SessionCall => "Phone",
            ChatsAtLimit => "You have as many chats as you can take.",
            TransferredBy => "Transferred to you by",
            PhoneDataRetrying => "Loading the phone number data is taking longer than usual. Trying again…",
            SessionCodeRetrying => "Loading the adapter is taking longer than usual. Trying again…",
            ContactGone => "The contact clicked, #{id}, is no longer in Zendesk (deleted or merged): the contact is taken from the number.",
            TicketIdBlankHint => "Leave blank for a new ticket",
            CallMovedToNewContact => "contact deleted in Zendesk during the call: the call is logged on a new contact made for the number.",
            ChatGoneWhileAway => "Chat passed to another agent while the connection was down",
            CallGoneWhileAway => "Call passed to another agent while the connection was down",
            ErrChatNotLogged => "The chat could not be logged in Zendesk",
            ChatStandardData => "Chat details",
            ChatLoggedAfterAll => "The chat is being logged in Zendesk after all",
            CallLogging => "Logging the call in Zendesk…",
            ErrZendeskServer => "Zendesk answered with an error.",
            ErrPlatformServer => "The contact centre answered with an error. Try again in a moment.",
            ErrCallInOtherTab => "You are on a call in another Zendesk tab. End it there before you place another.",
            CallMissed => "Missed call",
            CallHangingUp => "Hanging up…",
            NotLoggedAsChosen => "Not logged in Zendesk, as you chose",
            ErrNoNumberOrTicketId => "Enter a phone number or a Ticket ID.",
            NoteTicketNumberReplacesTyped => "The ticket's number is called instead of the one you typed. Clear the Ticket ID to call yours.",
            LookupWaitsForZendesk => "Zendesk is busy: too many requests for the account. The lookup will be tried again in {wait}.",
            OutcomeNoAnswer => "No answer",
            TicketNumbered => "Ticket",
            UnreadMessages => "unread messages",
            ErrZendeskForbidden => "Zendesk refused access to a ticket or contact: your Zendesk role does not allow it.",
            WaitingForAccess => "Not logged yet: waiting for Zendesk access.",
            CallMovedToNewTicketRinging => "Ticket #{id} was solved, closed or given to another customer in Zendesk before the call was logged, so the call is logged on a new ticket.",
            ErrOnCall => "You are on a call. End it before calling another number.",
            WritesWaitRefused => "This call's updates wait and are tried again; your other calls are logged meanwhile.",
        }
    }
}

/// The words of one language. Missing entries fall back to English.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Catalogue {
    /// Language code, e.g. `en`, `it`.
    pub language: String,
    /// Translated entries.
    pub words: BTreeMap<Label, String>,
}

impl Catalogue {
    /// The English catalogue (no overrides: English is built in).
    pub fn english() -> Self {
        Self {
            language: "en".into(),
            words: BTreeMap::new(),
        }
    }

    /// The catalogue of `language` with these words (a translation built into the app).
    pub fn from_words(language: &str, words: &[(Label, &str)]) -> Self {
        Self {
            language: language.into(),
            words: words
                .iter()
                .map(|&(label, text)| (label, text.to_owned()))
                .collect(),
        }
    }

    /// The text of `label` in this language, or in English when not translated.
    pub fn get(&self, label: Label) -> &str {
        self.words
            .get(&label)
            .map(String::as_str)
            .unwrap_or_else(|| label.english())
    }

    /// The text of `label` with each `{name}` in it replaced by the value given for `name`, in
    /// one pass: a value is never read for names itself (a contact called "{id}" stays so), and
    /// a name without a value is left as written.
    pub fn fill(&self, label: Label, values: &[(&str, &dyn std::fmt::Display)]) -> String {
        let mut out = String::new();
        let mut rest = self.get(label);
        while let Some(open) = rest.find('{') {
            out.push_str(&rest[..open]);
            let after = &rest[open + 1..];
            match after.find('}').and_then(|close| {
                Some((close, values.iter().find(|(n, _)| *n == &after[..close])?))
            }) {
                Some((close, (_, value))) => {
                    out.push_str(&value.to_string());
                    rest = &after[close + 1..];
                }
                None => {
                    out.push('{');
                    rest = after;
                }
            }
        }
        out.push_str(rest);
        out
    }

    /// A wait of `seconds`, said in a sentence: "1 second", "4 seconds".
    pub fn seconds(&self, seconds: u64) -> String {
        match seconds {
            1 => self.get(Label::OneSecond).to_owned(),
            n => self.fill(Label::Seconds, &[("n", &n)]),
        }
    }
}

/// The catalogue language for a browser or Zendesk locale: `it` for any Italian locale (`it`,
/// `it-IT`, `it_CH`, ..., whatever the case), `en` (the built-in English) for everything else.
pub fn language_for_locale(locale: &str) -> &'static str {
    let primary = locale.trim().split(['-', '_']).next().unwrap_or_default();
    // `ita` is the three-letter (ISO 639-2) code some systems report for Italian.
    if primary.eq_ignore_ascii_case("it") || primary.eq_ignore_ascii_case("ita") {
        "it"
    } else {
        "en"
    }
}

/// A locale's language (lower case) and region (upper case, when it has one): `it-IT`, `it_it`
/// and `IT_it` are all (`it`, `IT`); `it` is (`it`, none).
fn language_and_region(locale: &str) -> (String, Option<String>) {
    let mut parts = locale.trim().split(['-', '_']);
    let language = parts.next().unwrap_or_default().to_ascii_lowercase();
    let region = parts
        .next()
        .filter(|r| !r.is_empty())
        .map(str::to_ascii_uppercase);
    (language, region)
}

/// OQ-33, UI-2: the offered call language (`en-US`, `it-IT`, ...) that fits the agent's locale
/// (`it-IT`, `it`, `IT_it`, whatever the case or separator): the same locale first; else one of
/// the same language in any region, `preferred` (the outbound number's own language) when it is
/// one of them, else the first offered. None when no offered language has the locale's language
/// (the caller then falls back to its default).
pub fn best_language<'a>(
    locale: &str,
    offered: &'a [String],
    preferred: Option<&str>,
) -> Option<&'a str> {
    let (language, region) = language_and_region(locale);
    if language.is_empty() {
        return None;
    }
    let parsed: Vec<(&'a str, (String, Option<String>))> = offered
        .iter()
        .map(|o| (o.as_str(), language_and_region(o)))
        .collect();
    if let Some((o, _)) = parsed
        .iter()
        .find(|(_, (l, r))| *l == language && *r == region)
    {
        return Some(o);
    }
    let same: Vec<&'a str> = parsed
        .iter()
        .filter(|(_, (l, _))| *l == language)
        .map(|(o, _)| *o)
        .collect();
    let preferred = preferred.map(language_and_region);
    same.iter()
        .find(|o| Some(language_and_region(o)) == preferred)
        .or_else(|| same.first())
        .copied()
}

#[cfg(test)]
mod tests {
    use super::*;

    // OQ-33 (issue 11, item 6): match by language, then region.
    #[test]
    fn best_language_matches_by_language_then_region() {
        let offered: Vec<String> = ["en-US", "it-IT", "es-ES"].map(String::from).to_vec();
        let best = |locale: &str| best_language(locale, &offered, None);
        assert_eq!(best("it-IT"), Some("it-IT"));
        assert_eq!(best("it"), Some("it-IT"));
        assert_eq!(best("IT_it"), Some("it-IT"));
        assert_eq!(best("it_CH"), Some("it-IT"));
        assert_eq!(best("ES"), Some("es-ES"));
        assert_eq!(best("fr-FR"), None, "not offered: the caller's default");
        assert_eq!(best(""), None);
        assert_eq!(best("-IT"), None);
        // Exact locale first, then the preferred (the outbound number's language), then the first.
        let offered: Vec<String> = ["en-US", "en-GB", "it"].map(String::from).to_vec();
        let best = |locale: &str, preferred| best_language(locale, &offered, preferred);
        assert_eq!(best("en-US", Some("en-GB")), Some("en-US"));
        assert_eq!(best("en_gb", None), Some("en-GB"));
        assert_eq!(best("en-AU", Some("en-GB")), Some("en-GB"));
        assert_eq!(best("en-AU", Some("it")), Some("en-US"));
        assert_eq!(best("en", None), Some("en-US"));
        assert_eq!(best("it-IT", None), Some("it"));
        assert_eq!(best("it", None), Some("it"));
    }

    /// The position of each label in the declaration. The match is exhaustive, so a new variant
    /// does not compile until it is numbered here; the tests below then require it in
    /// [`Label::ALL`] at the same position.
    fn declaration_index(label: Label) -> usize {
        use Label::*;
        match label {
            NumberPlaceholder => 0,
            UseEnteredNumber => 1,
            ContactId => 2,
            TicketId => 3,
            NewContact => 4,
            NewTicket => 5,
            CreateNewTicket => 6,
            DoNotCreateTicket => 7,
            Call => 8,
            Cancel => 9,
            Next => 10,
            Language => 11,
            OutboundNumber => 12,
            StandardData => 13,
            CallId => 14,
            ChatId => 15,
            MenuSelection => 16,
            CustomData => 17,
            CallFinished => 18,
            Duration => 19,
            Recording => 20,
            DialledNumber => 21,
            Extension => 22,
            SmartActionCompleted => 23,
            SmartActionFailed => 24,
            Files => 25,
            Error => 26,
            CustomerSatisfaction => 27,
            Score => 28,
            VoicemailRead => 29,
            VoicemailClosed => 30,
            VoicemailCalledBack => 31,
            Agent => 32,
            ApiResponse => 33,
            NoDesignatedField => 34,
            TransferredTo => 35,
            SubjectInboundCall => 36,
            SubjectOutboundCall => 37,
            SubjectVoicemail => 38,
            SubjectAbandonedCall => 39,
            CallerNamePrefix => 40,
            ChannelCall => 41,
            ChannelChat => 42,
            PlatformIvr => 43,
            PlatformWeb => 44,
            PlatformMobile => 45,
            PlatformOutbound => 46,
            ErrUnsavedNumberDisabled => 47,
            ErrUnsavedNumberTickBox => 48,
            ErrNumberNotPossible => 49,
            WarnNumberNotValid => 50,
            ErrChooseContact => 51,
            ErrChooseTicket => 52,
            ErrNoNumber => 53,
            ErrTeamEnterNewNumber => 54,
            ErrTeamClickToCall => 55,
            ErrTicketNotFound => 56,
            ErrTicketNotUsable => 57,
            ErrTicketIdRequired => 58,
            ErrTicketFieldEmpty => 59,
            ErrTicketIdInvalid => 60,
            ErrNoOutboundNumber => 61,
            ErrRequesterNoPhone => 62,
            StatusNew => 63,
            StatusOpen => 64,
            StatusPending => 65,
            StatusHold => 66,
            StatusSolved => 67,
            StatusClosed => 68,
            Dismiss => 69,
            OutboundCallTitle => 70,
            PhoneNumber => 71,
            Keypad => 72,
            DeleteDigit => 73,
            LookingUp => 74,
            SignInTitle => 75,
            Email => 76,
            Password => 77,
            SignIn => 78,
            SigningIn => 79,
            ErrEmailPasswordRequired => 80,
            ErrNoPlatformUrl => 81,
            OtherTabActive => 82,
            SignInFirst => 83,
            ErrTicketClosedWrite => 84,
            Connecting => 85,
            CannotStart => 86,
            CallDialling => 87,
            CallRinging => 88,
            CallConnected => 89,
            CallOnHold => 90,
            CallEnded => 91,
            HangUp => 92,
            Hold => 93,
            Resume => 94,
            OpenTicket => 95,
            NewCall => 96,
            LoggedOnTicket => 97,
            NotLogged => 98,
            ContactNumbers => 99,
            Country => 100,
            IncomingCall => 101,
            Answer => 102,
            WhoIsCalling => 103,
            TonesSent => 104,
            Paste => 105,
            PasteHint => 106,
            NothingToPaste => 107,
            Decline => 108,
            ErrCallNotLogged => 109,
            KeyStar => 110,
            KeyHash => 111,
            KeyPlus => 112,
            Loading => 113,
            ErrBadCredentials => 114,
            ErrSessionEnded => 115,
            ErrPlatformRefused => 116,
            ErrPlatformUnreachable => 117,
            ErrPlatformUnexpected => 118,
            ErrZendeskUnreachable => 119,
            ErrZendeskBusy => 120,
            ErrZendeskNotFound => 121,
            ErrZendeskRefused => 122,
            ErrZendeskDenied => 123,
            ErrZendeskUnexpected => 124,
            LookupRetrying => 125,
            ErrZafUnavailable => 126,
            ErrForeignHost => 127,
            ErrInsecurePlatform => 128,
            SignInTo => 129,
            WritesSetAside => 130,
            WritesExpired => 131,
            WritesWaitForAccess => 132,
            SignOut => 133,
            SignedOut => 134,
            WritesHandedOver => 135,
            WritesKeptHere => 136,
            SignOutAfterCall => 137,
            CallMovedToNewTicket => 138,
            CallTransferredTo => 139,
            CallTransferredToYou => 140,
            NavNewCall => 141,
            Recent => 142,
            Voicemails => 143,
            OutcomeAnswered => 144,
            OutcomeTooShort => 145,
            OutcomeMissed => 146,
            OutcomeAbandoned => 147,
            OutcomeVoicemail => 148,
            Inbound => 149,
            Outbound => 150,
            CallBack => 151,
            HangUpAndCallBack => 152,
            Callback => 153,
            MarkRead => 154,
            CloseVoicemail => 155,
            Unread => 156,
            ShowMore => 157,
            NoRecentCalls => 158,
            NoVoicemails => 159,
            HistoryFailed => 160,
            VoicemailsFailed => 161,
            VoicemailActionFailed => 162,
            TryAgain => 163,
            SignedInAs => 164,
            HomeKeys => 165,
            Transcript => 166,
            ChatTranscript => 167,
            TimesInUtc => 168,
            NoMessages => 169,
            WebVisitor => 170,
            MobileVisitor => 171,
            MessageEmpty => 172,
            MessageTooLong => 173,
            NewChat => 174,
            Accept => 175,
            EndChat => 176,
            ChatEndedByAgent => 177,
            CustomerLeft => 178,
            Send => 179,
            SendAgain => 180,
            NotSent => 181,
            Sending => 182,
            Delivered => 183,
            IsTyping => 184,
            WriteMessage => 185,
            ComposerKeys => 186,
            Sessions => 187,
            ChatFailed => 188,
            ChatTakenElsewhere => 189,
            ChatTransferredAway => 190,
            Close => 191,
            You => 192,
            SessionCall => 193,
            ChatsAtLimit => 194,
            TransferredBy => 195,
            PhoneDataRetrying => 196,
            SessionCodeRetrying => 197,
            ContactGone => 198,
            TicketIdBlankHint => 199,
            CallMovedToNewContact => 200,
            ChatGoneWhileAway => 201,
            CallGoneWhileAway => 202,
            ErrChatNotLogged => 203,
            ChatStandardData => 204,
            ChatLoggedAfterAll => 205,
            CallLogging => 206,
            ErrZendeskServer => 207,
            ErrPlatformServer => 208,
            ErrCallInOtherTab => 209,
            CallMissed => 210,
            CallHangingUp => 211,
            NotLoggedAsChosen => 212,
            ErrNoNumberOrTicketId => 213,
            NoteTicketNumberReplacesTyped => 214,
            LookupWaitsForZendesk => 215,
            OutcomeNoAnswer => 216,
            TicketNumbered => 217,
            UnreadMessages => 218,
            ErrZendeskForbidden => 219,
            WaitingForAccess => 220,
            CallMovedToNewTicketRinging => 221,
            ErrOnCall => 222,
            WritesWaitRefused => 223,
            ErrContactNotFound => 224,
            ChatTicketTitle => 225,
            IncomingCallFrom => 226,
            OneSecond => 227,
            Seconds => 228,
            WritesWaitRefusedMany => 229,
            ExtensionMarker => 230,
            ErrPlatformBusy => 231,
        }
    }

    /// How many variants the enum has, counted through serde's variant indices (independent of
    /// [`Label::ALL`]): deserialising index `n` fails exactly when `n` is past the last variant.
    fn variant_count() -> usize {
        use serde::de::value::{Error, U32Deserializer};
        (0u32..)
            .take_while(|&i| Label::deserialize(U32Deserializer::<Error>::new(i)).is_ok())
            .count()
    }

    #[test]
    fn all_lists_every_label_once_in_declaration_order() {
        let distinct: std::collections::BTreeSet<Label> = Label::ALL.iter().copied().collect();
        assert_eq!(distinct.len(), Label::ALL.len(), "ALL has duplicates");
        assert_eq!(Label::ALL.len(), variant_count(), "ALL misses variants");
        for (i, &label) in Label::ALL.iter().enumerate() {
            assert_eq!(declaration_index(label), i, "{label:?} out of place in ALL");
            assert!(!label.english().is_empty(), "{label:?} has no English text");
        }
    }

    #[test]
    fn italian_locales_choose_italian() {
        for locale in ["it", "it-IT", "it_CH", "IT-it", " it ", "ita"] {
            assert_eq!(language_for_locale(locale), "it", "{locale}");
        }
        for locale in ["en", "en-US", "de-CH", "fr", "", "i", "item", "pt-IT"] {
            assert_eq!(language_for_locale(locale), "en", "{locale}");
        }
    }

    #[test]
    fn translation_overrides_and_falls_back() {
        let mut it = Catalogue {
            language: "it".into(),
            ..Default::default()
        };
        it.words.insert(Label::NewTicket, "Nuovo ticket".into());
        assert_eq!(it.get(Label::NewTicket), "Nuovo ticket");
        assert_eq!(it.get(Label::NewContact), "New contact");
        assert_eq!(
            Catalogue::english().get(Label::UseEnteredNumber),
            "Use entered number to make call"
        );
        // A translation file is plain JSON keyed by snake_case label names.
        let parsed: Catalogue = serde_json::from_str(
            r#"{"language":"it","words":{"do_not_create_ticket":"Non creare un ticket"}}"#,
        )
        .unwrap();
        assert_eq!(parsed.get(Label::DoNotCreateTicket), "Non creare un ticket");
    }

    // The waiting banner's detail is told by its template, whatever count filled it (it was
    // told by the words before the blank: a translation starting with the count would have
    // matched any detail).
    #[test]
    fn a_count_filled_in_is_told_from_other_text() {
        let t = "Zendesk is refusing the updates of {n} calls or chats: ask.";
        assert!(fills_count(
            t,
            "Zendesk is refusing the updates of 2 calls or chats: ask."
        ));
        assert!(fills_count(
            t,
            "Zendesk is refusing the updates of 12 calls or chats: ask."
        ));
        assert!(!fills_count(
            t,
            "Zendesk is refusing the updates of  calls or chats: ask."
        ));
        assert!(!fills_count(
            t,
            "Zendesk is refusing the updates of 2 calls or chats: ask. More"
        ));
        assert!(fills_count("{n} chiamate.", "3 chiamate."));
        assert!(!fills_count("{n} chiamate.", "La ricerca non è riuscita."));
        assert!(fills_count("No blank.", "No blank."));
        let cat = Catalogue::english();
        let filled = cat.fill(Label::WritesWaitRefusedMany, &[("n", &3)]);
        assert!(fills_count(cat.get(Label::WritesWaitRefusedMany), &filled));
    }

    #[test]
    fn fill_puts_each_value_in_its_blank_once() {
        let en = Catalogue::english();
        assert_eq!(
            en.fill(
                Label::ErrTicketNotUsable,
                &[("id", &15), ("status", &"solved")]
            ),
            "Ticket #15 is solved, so it cannot be used for a call."
        );
        // A value that looks like a blank is not filled in again; a blank with no value stays.
        assert_eq!(
            en.fill(Label::IncomingCallFrom, &[("number", &"{id}"), ("id", &3)]),
            "Incoming call from {id}"
        );
        assert_eq!(
            en.fill(Label::ErrContactNotFound, &[]),
            "Contact #{id} not found."
        );
        assert_eq!(en.fill(Label::Call, &[("id", &1)]), "Call");
        let odd = Catalogue::from_words("xx", &[(Label::Call, "a {b {c} d} {")]);
        assert_eq!(odd.fill(Label::Call, &[("c", &1)]), "a {b 1 d} {");
        assert_eq!(en.seconds(1), "1 second");
        assert_eq!(en.seconds(0), "0 seconds");
        assert_eq!(en.seconds(30), "30 seconds");
    }
}
