//! The English labels of the dial screen, in one place so they can be corrected or translated.

/// UI-4: the placeholder the empty number display shows; it is never dialled.
pub const NUMBER_PLACEHOLDER: &str = "(415) 123-4567";
/// The accessible name of the number display.
pub const NUMBER_LABEL: &str = "Phone number";
/// The button that places the call.
pub const CALL: &str = "Call";
/// UI-12: the button that discards the draft.
pub const CANCEL: &str = "Cancel";
/// The accessible name of the keypad's delete key.
pub const BACKSPACE: &str = "Delete last digit";
/// The accessible name of the keypad.
pub const KEYPAD: &str = "Keypad";
/// The status line while a call is being placed; `{}` is the number.
pub const CALLING: &str = "Calling";
