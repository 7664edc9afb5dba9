//! Phone numbers: the keypad buffer the agent types into, parsing, E.164 and display formats.
//!
//! UI-5, UI-7: the agent types on the on-screen keypad or the keyboard, or pastes. The buffer keeps
//! only what can be dialled (digits, `*`, `#`, a leading `+`), so the display never shows noise; an
//! extension written after the number (`x123`, `ext. 123`) is kept apart, because E.164 cannot
//! carry it (Anchors §7.3 #5, §7.4).
//!
//! Parsing, validity and formats come from `rlibphonenumber` (never hand-rolled E.164 rules). The
//! default region is the agent's or the outbound number's country; a country picker overrides it.
//! International prefixes are the library's business for the default region (`011` from the US,
//! `00` from most of Europe); [`parse`] also accepts `00`/`011` when the default region uses the
//! other one, because agents paste numbers written for either.
//! Two levels (Anchors §7.3 #4): not possible (wrong length, no country) blocks Call;
//! possible but not valid (unknown range) only warns.

use crate::phone_tables as tables;
pub use crate::phone_tables::InstallError;
use rlibphonenumber::{ParseError, PhoneNumber, PhoneNumberFormat, PhoneNumberUtil, Region};
use serde::{Deserialize, Serialize};
use std::{cell::RefCell, collections::VecDeque, rc::Rc};

/// The longest buffer accepted: E.164 allows 15 digits; the rest leaves room for `*`/`#` codes.
pub const MAX_BUFFER_LEN: usize = 32;

/// One key of the dial keypad.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Key {
    /// A digit, 0 to 9.
    Digit(u8),
    /// `*`
    Star,
    /// `#`
    Hash,
    /// `+`, the international prefix; only accepted as the first character.
    Plus,
}

impl Key {
    /// Every key, in keypad order (the order the on-screen keypad shows them).
    pub const ALL: [Key; 13] = [
        Key::Digit(1),
        Key::Digit(2),
        Key::Digit(3),
        Key::Digit(4),
        Key::Digit(5),
        Key::Digit(6),
        Key::Digit(7),
        Key::Digit(8),
        Key::Digit(9),
        Key::Star,
        Key::Digit(0),
        Key::Hash,
        Key::Plus,
    ];

    /// The key a typed character stands for, if any.
    pub fn from_char(c: char) -> Option<Key> {
        match c {
            '0'..='9' => Some(Key::Digit(c as u8 - b'0')),
            '*' => Some(Key::Star),
            '#' => Some(Key::Hash),
            '+' => Some(Key::Plus),
            _ => None,
        }
    }

    /// The character this key types.
    pub fn as_char(self) -> char {
        match self {
            Key::Digit(d) => char::from(b'0' + d.min(9)),
            Key::Star => '*',
            Key::Hash => '#',
            Key::Plus => '+',
        }
    }

    /// A stable name for the key, used in test ids (`keypad-key-<name>`).
    pub fn name(self) -> &'static str {
        match self {
            Key::Digit(d) => {
                ["0", "1", "2", "3", "4", "5", "6", "7", "8", "9"][usize::from(d.min(9))]
            }
            Key::Star => "star",
            Key::Hash => "hash",
            Key::Plus => "plus",
        }
    }
}

/// What the agent has typed or pasted, restricted to dialable characters; an extension apart.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct NumberBuffer {
    text: String,
    #[serde(default)]
    extension: String,
    /// An extension marker was typed (`x`, `ext.`, `int.`, `,`, `;`): the digits typed next are
    /// the extension's, and the number shows the marker (`ext.`, in Italian `int.`) before them.
    #[serde(default)]
    marked: bool,
}

impl NumberBuffer {
    /// A buffer holding what `text` would give if typed character by character.
    pub fn from_text(text: &str) -> Self {
        let mut buffer = Self::default();
        buffer.paste(text);
        buffer
    }

    /// The buffer's characters.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// True when nothing has been typed.
    pub fn is_empty(&self) -> bool {
        self.text.is_empty()
    }

    /// Types one key. Returns false when the key was refused (`+` after the start, or full).
    pub fn press(&mut self, key: Key) -> bool {
        if self.marked {
            if !matches!(key, Key::Digit(_)) || self.extension.len() >= MAX_EXTENSION_LEN {
                return false;
            }
            self.extension.push(key.as_char());
            return true;
        }
        if self.text.len() >= MAX_BUFFER_LEN || (key == Key::Plus && !self.text.is_empty()) {
            return false;
        }
        self.text.push(key.as_char());
        true
    }

    /// Deletes the last character: the extension's last digit, then its marker, then the
    /// number's.
    pub fn backspace(&mut self) {
        if self.extension.pop().is_none() && !std::mem::take(&mut self.marked) {
            self.text.pop();
        }
    }

    /// Clears the buffer and the extension.
    pub fn clear(&mut self) {
        self.text.clear();
        self.extension.clear();
        self.marked = false;
    }

    /// What the number field shows: the number, then `marker` (the agent's language's `ext.`,
    /// `int.`) and the extension once an extension is begun (typed back in, it reads the same:
    /// every language's marker is one [`split_extension`] reads).
    pub fn display(&self, marker: &str) -> String {
        if self.marked || !self.extension.is_empty() {
            with_extension(&self.text, marker, &self.extension)
        } else {
            self.text.clone()
        }
    }

    /// The extension pasted after the number (`x123`, `ext. 123`).
    pub fn extension(&self) -> Option<&str> {
        (!self.extension.is_empty()).then_some(self.extension.as_str())
    }

    /// Appends pasted text, dropping the punctuation people write numbers with
    /// (spaces, dots, dashes, parentheses) and anything else that cannot be dialled, but for
    /// the letters of a number written in letters, read as the keypad's (`1-800-FLOWERS`).
    /// Digits after an extension marker (`x`, `ext`, `extension`, Italian's `int`, `interno`,
    /// `,`, `;`) go to the extension.
    pub fn paste(&mut self, text: &str) {
        // A marker is a word of its own: inside a word it is a letter of it (1-800-FEDEX,
        // 1-800-GO-FEDEX x12, 1-888-INTERNET, "(Intesa Sanpaolo)").
        let (number, ext) = split_extension(text);
        // A number written in letters (1-800-FLOWERS): its letters are the keypad's (E.161), as
        // the phone library reads a number with three letters or more. Only letters that belong
        // to the number are read so; other text ("(mobile)", "Call") is dropped as before.
        let vanity = is_vanity(number);
        // Letters before the number ("Tel:") are not its own.
        let start = number.find(|c: char| c.is_ascii_digit() || c == '+');
        let keys = number.char_indices().filter_map(|(i, c)| {
            let letter = vanity && start.is_some_and(|start| i > start);
            Key::from_char(c).or_else(|| letter.then(|| keypad_letter(c)).flatten())
        });
        for key in keys {
            self.press(key);
        }
        // A marker typed with no digit yet (the field is typed a key at a time) keeps its
        // place: the digits that follow are the extension's.
        self.marked = number.len() < text.len() && !self.text.is_empty();
        if let Some(ext) = ext {
            self.extension = ext
                .chars()
                .filter(char::is_ascii_digit)
                .take(MAX_EXTENSION_LEN)
                .collect();
        }
    }

    /// The full text the parser reads: the number, then ` ext. <extension>` when present.
    pub fn to_parse_input(&self) -> String {
        match self.extension() {
            Some(ext) => format!("{} ext. {ext}", self.text),
            None => self.text.clone(),
        }
    }
}

/// A number and its extension as the number field and the call screen write them: `marker` is
/// the agent's language's (`Label::ExtensionMarker`: "ext.", "int."), which [`split_extension`]
/// reads back.
pub fn with_extension(number: &str, marker: &str, extension: &str) -> String {
    format!("{number} {marker} {extension}")
}

/// The longest extension kept.
pub const MAX_EXTENSION_LEN: usize = 10;

/// Splits `text` at an extension marker: `x`, `ext`, `ext.`, `extension`, Italian's `int`, `int.`
/// and `interno`, `,` or `;`, followed by digits. A marker counts only after the number's first
/// digit (the letters of a word before the number are not one: "Fax: +1 415 555 2671" is a
/// number, not an extension), and a marker in letters only as a word of its own: not inside
/// a word ("1-888-INTERNET", "(Intesa Sanpaolo)", "Print shop"). Returns the number part and
/// the extension part (if a marker was found).
pub fn split_extension(text: &str) -> (&str, Option<&str>) {
    let lower = text.to_ascii_lowercase();
    // The earliest marker wins; longer spellings are tried first at each position so that
    // "extension" is not read as "ext" + "ension".
    // `#` is not a marker: it is a keypad key used in service codes.
    let markers = [
        "extension",
        "ext.",
        "ext",
        "interno",
        "int.",
        "int",
        "x",
        ",",
        ";",
    ];
    let mut best: Option<(usize, usize)> = None;
    for m in markers {
        let word = m.starts_with(|c: char| c.is_ascii_alphabetic());
        let found = lower.match_indices(m).map(|(pos, _)| pos).find(|pos| {
            let before = &lower[..*pos];
            let next = lower[pos + m.len()..].chars().next();
            before.chars().any(|c| c.is_ascii_digit())
                && !(word
                    && (before
                        .chars()
                        .next_back()
                        .is_some_and(|c| c.is_ascii_alphabetic())
                        || next.is_some_and(|c| c.is_ascii_alphabetic())))
        });
        if let Some(pos) = found {
            if best.is_none_or(|(p, _)| pos < p) {
                best = Some((pos, m.len()));
            }
        }
    }
    match best {
        Some((pos, len)) if text[pos + len..].chars().any(|c| c.is_ascii_digit()) => {
            (&text[..pos], Some(&text[pos + len..]))
        }
        Some((pos, _)) => (&text[..pos], None),
        None => (text, None),
    }
}

/// True when `number` (a number without its extension) is written partly in letters: from its
/// first digit or `+` on, three letters or more, each run of them right after a digit, a `-` or
/// a `.` (1-800-FLOWERS, 1800FLOWERS), or in capitals after a space (+1 800 MY-APPLE). Words
/// beside a number ("555 0143 mobile", "(home)") are not.
fn is_vanity(number: &str) -> bool {
    let Some(start) = number.find(|c: char| c.is_ascii_digit() || c == '+') else {
        return false;
    };
    let number = &number[start..];
    let mut letters = 0;
    let mut before = ' ';
    let mut run_ok = true;
    let mut chars = number.chars().peekable();
    while let Some(c) = chars.next() {
        if c.is_ascii_alphabetic() {
            if !before.is_ascii_alphabetic() {
                // A run starts: it must follow the number, or be a capital word after a space.
                let run: String = std::iter::once(c)
                    .chain(std::iter::from_fn(|| {
                        chars.next_if(|n| n.is_ascii_alphabetic())
                    }))
                    .collect();
                let attached = before.is_ascii_digit() || before == '-' || before == '.';
                let capitals = before == ' ' && run.chars().all(|c| c.is_ascii_uppercase());
                run_ok &= attached || capitals;
                letters += run.len();
                before = run.chars().last().unwrap_or(c);
                continue;
            }
        } else if !(c.is_ascii_digit() || " -.()/+".contains(c)) {
            return false;
        }
        before = c;
    }
    letters >= 3 && run_ok
}

/// The keypad key of a letter (E.161: ABC 2, DEF 3, GHI 4, JKL 5, MNO 6, PQRS 7, TUV 8, WXYZ 9).
fn keypad_letter(c: char) -> Option<Key> {
    let digit = match c.to_ascii_uppercase() {
        'A'..='C' => 2,
        'D'..='F' => 3,
        'G'..='I' => 4,
        'J'..='L' => 5,
        'M'..='O' => 6,
        'P'..='S' => 7,
        'T'..='V' => 8,
        'W'..='Z' => 9,
        _ => return None,
    };
    Some(Key::Digit(digit))
}

/// The region assumed when neither the agent nor the outbound number gives one.
pub const DEFAULT_REGION: &str = "US";

/// Why a number cannot be called at all (blocks Call, UI-7).
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, thiserror::Error)]
#[serde(rename_all = "snake_case")]
pub enum NotPossible {
    /// Nothing typed.
    #[error("no number")]
    Empty,
    /// Not a phone number (letters, lone symbols).
    #[error("not a phone number")]
    NotANumber,
    /// `+` followed by a country code that does not exist.
    #[error("unknown country code")]
    InvalidCountryCode,
    /// Too few digits for the country.
    #[error("too short")]
    TooShort,
    /// Too many digits for the country.
    #[error("too long")]
    TooLong,
    /// A length no number of the country has.
    #[error("invalid length")]
    InvalidLength,
    /// The region code given is not an ISO country code the library knows.
    #[error("unknown region {0}")]
    UnknownRegion(String),
}

/// How far a possible number can be trusted.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Validity {
    /// In a range the numbering plan assigns.
    Valid,
    /// The length fits but the range is unknown (short codes, new ranges): warn, allow Call.
    PossibleNotValid,
}

/// A number that can be dialled.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ParsedNumber {
    /// E.164, e.g. `+14155552671`: what the telephony API and Zendesk search receive.
    pub e164: String,
    /// Extension, kept apart (dialled as DTMF after connection).
    pub extension: Option<String>,
    /// ISO region of the number, when the library knows it.
    pub region: Option<String>,
    /// National format, e.g. `(415) 555-2671`.
    pub national: String,
    /// International format, e.g. `+1 415-555-2671`.
    pub international: String,
    /// Valid or only possible.
    pub validity: Validity,
}

impl ParsedNumber {
    /// Anchors §7.3 #6: national format for numbers of the agent's region, international otherwise.
    pub fn display(&self, agent_region: &str) -> &str {
        if self
            .region
            .as_deref()
            .is_some_and(|r| r.eq_ignore_ascii_case(agent_region))
        {
            &self.national
        } else {
            &self.international
        }
    }
}

fn region_of(code: &str) -> Result<Region, NotPossible> {
    Region::from_code(&code.to_ascii_uppercase())
        .map_err(|_| NotPossible::UnknownRegion(code.to_owned()))
}

/// The countries the keypad's country picker offers (ISO 3166 code, calling code), in the order
/// shown; the agent's own region is offered first when it is not among them.
pub const PICKER_REGIONS: &[(&str, u16)] = &[
    ("US", 1),
    ("CA", 1),
    ("GB", 44),
    ("IE", 353),
    ("IT", 39),
    ("FR", 33),
    ("DE", 49),
    ("ES", 34),
    ("PT", 351),
    ("NL", 31),
    ("BE", 32),
    ("CH", 41),
    ("AT", 43),
    ("SE", 46),
    ("NO", 47),
    ("DK", 45),
    ("FI", 358),
    ("PL", 48),
    ("CZ", 420),
    ("GR", 30),
    ("AU", 61),
    ("NZ", 64),
    ("IN", 91),
    ("JP", 81),
    ("SG", 65),
    ("ZA", 27),
    ("MX", 52),
    ("BR", 55),
    ("AR", 54),
    ("AE", 971),
];

/// True for a region code the country picker may set: one of [`PICKER_REGIONS`] (any case).
pub fn is_known_region(code: &str) -> bool {
    PICKER_REGIONS
        .iter()
        .any(|(c, _)| c.eq_ignore_ascii_case(code))
}

/// The international prefixes agents paste from other countries' conventions.
const FOREIGN_IDD: [&str; 2] = ["011", "00"];

/// Builds the phone library's tables for `region`'s calling code, and the patterns reading a
/// number of `region` needs, now, so the first number the agent meets is read at the usual
/// speed: a click-to-call must not wait for them (each pattern is compiled the first time a
/// number needs it: about 5 ms for a region's first number, in a browser). Call it when the page
/// is idle: at the start of a session, and after numbers were read (a foreign number rebuilds
/// the tables, which starts them cold); it returns at once while they are warm.
///
/// Only `region`'s own patterns: the other regions of a shared code (24 more for `+1`) are not
/// even built until a number is not valid in its main region (`phone_tables`), and compiled,
/// they cost about 0.6 MB of wasm memory in every tab for numbers that are rarely theirs. Other
/// countries' tables and patterns are built the first time one of their numbers is read.
pub fn warm_up(region: &str) {
    use rlibphonenumber::PhoneNumberType as Type;
    if is_warm(region) {
        return;
    }
    let Ok(region_id) = region_of(region) else {
        return;
    };
    if tables::code_of(&region_id.as_region_str()).is_none() {
        return;
    }
    // Straight to the library with the code's own tables (its main region's, and `region`'s).
    let util = tables::with_home(region, &[]);
    // The region's example number of each kind, read as an agent meets it: each kind is tested
    // after the kinds before it, so together they compile every pattern a number of the region
    // is tested against.
    let kinds = [
        Type::PremiumRate,
        Type::TollFree,
        Type::SharedCost,
        Type::VoIP,
        Type::PersonalNumber,
        Type::Pager,
        Type::UAN,
        Type::VoiceMail,
        Type::FixedLine,
        Type::Mobile,
    ];
    for written in examples(&util, region_id, &kinds) {
        let _ = parse_now(&written, region);
    }
    // Unless a reading built another code (the tables were rebuilt, cold, meanwhile).
    if Rc::ptr_eq(&util, &tables::with_home(region, &[])) {
        tables::mark_warmed(region);
    }
}

/// `region`'s example number of each of `kinds` it has, written as agents meet it: in the
/// international and the national form.
fn examples(
    util: &PhoneNumberUtil,
    region: Region,
    kinds: &[rlibphonenumber::PhoneNumberType],
) -> Vec<String> {
    kinds
        .iter()
        .filter_map(|kind| {
            util.get_example_number_for_type_and_region(region, *kind)
                .ok()
        })
        .flat_map(|n| {
            [
                PhoneNumberFormat::International,
                PhoneNumberFormat::National,
            ]
            .map(|format| util.format(&n, format).into_owned())
        })
        .collect()
}

/// True while the patterns of `region` are compiled ([`warm_up`]).
pub fn is_warm(region: &str) -> bool {
    tables::warmed().as_deref() == Some(region)
}

/// Installs the phone library's metadata, fetched by the app after its first screen (the app's
/// wasm leaves it out; see `phone_tables`). Numbers can be read once it is installed.
pub fn install_metadata(bytes: Vec<u8>) -> Result<(), InstallError> {
    tables::install(bytes)
}

/// True once numbers can be read (the metadata is installed or built in).
pub fn metadata_ready() -> bool {
    tables::ready()
}

/// Parses `input` (typed, pasted or stored) with `region` as the default country.
/// Punctuation is ignored; an extension is kept apart.
pub fn parse(input: &str, region: &str) -> Result<ParsedNumber, NotPossible> {
    remembered(&PARSED, REMEMBERED_PARSED, input, region, || {
        parse_now(input, region)
    })
}

/// How many readings [`parse`] keeps: the dial screen's number, and a few before it.
const REMEMBERED_PARSED: usize = 32;
/// How many readings [`normalize`] keeps (a few dozen bytes each): every stored number of the
/// contacts a dial screen compares, pass after pass.
const REMEMBERED_NORMALIZED: usize = 256;

/// Readings by input and region, newest last.
type Readings<T> = RefCell<VecDeque<(String, String, Result<T, NotPossible>)>>;

thread_local! {
    // The same numbers are read again and again: the dial screen's own each time what it shows
    // changes (every lookup's answer), the contacts' each time the lookups are planned. A
    // reading is final once the metadata is in (every table a number needs is built for it),
    // so it is kept, and a number is read once.
    static PARSED: Readings<ParsedNumber> = const { RefCell::new(VecDeque::new()) };
    static NORMALIZED: Readings<String> = const { RefCell::new(VecDeque::new()) };
}

/// `read`'s answer for `input` in `region`, from `cache` when it was read lately.
fn remembered<T: Clone>(
    cache: &'static std::thread::LocalKey<Readings<T>>,
    capacity: usize,
    input: &str,
    region: &str,
    read: impl FnOnce() -> Result<T, NotPossible>,
) -> Result<T, NotPossible> {
    let kept = cache.with_borrow(|c| {
        c.iter()
            .find(|(i, r, _)| i == input && r == region)
            .map(|(_, _, answer)| answer.clone())
    });
    if let Some(answer) = kept {
        return answer;
    }
    let answer = read();
    // Before the metadata is in, a number cannot be read yet: that answer is not kept.
    if tables::ready() {
        cache.with_borrow_mut(|c| {
            if c.len() == capacity {
                c.pop_front();
            }
            c.push_back((input.to_owned(), region.to_owned(), answer.clone()));
        });
    }
    answer
}

/// [`parse`], read now: the phone library's patterns a number needs are compiled on the way.
fn parse_now(input: &str, region: &str) -> Result<ParsedNumber, NotPossible> {
    let read = read_number(input, region)?;
    // A number not valid in its code's main region may be another region's (a Canadian or a
    // Caribbean `+1` number): the library tries them in turn, so they are built first.
    let code = read.number.country_code;
    let mut valid = util().is_valid_number(&read.number);
    if !valid && tables::partial(code) {
        tables::with_whole(code);
        valid = util().is_valid_number(&read.number);
    }
    let util = util();
    let validity = if valid {
        Validity::Valid
    } else {
        Validity::PossibleNotValid
    };
    let extension = read
        .extension
        .map(|e| {
            e.chars()
                .filter(char::is_ascii_digit)
                .take(MAX_EXTENSION_LEN)
                .collect::<String>()
        })
        .filter(|e| !e.is_empty());
    Ok(ParsedNumber {
        region: util
            .get_region_for_number(&read.number)
            .map(|r| r.as_region_str().to_string()),
        national: util
            .format(&read.plain, PhoneNumberFormat::National)
            .into_owned(),
        international: util
            .format(&read.plain, PhoneNumberFormat::International)
            .into_owned(),
        e164: read.e164,
        extension,
        validity,
    })
}

/// A number read as far as its E.164 form: what [`parse`] and [`normalize`] share.
struct Read<'a> {
    number: PhoneNumber,
    /// `number` without its extension.
    plain: PhoneNumber,
    e164: String,
    extension: Option<&'a str>,
}

/// Reads `input` to its E.164 form, refusing what [`parse`] refuses; neither its validity nor
/// its region is judged (those test the number against every pattern of its region, and of
/// each region sharing its code until one matches).
fn read_number<'a>(input: &'a str, region: &str) -> Result<Read<'a>, NotPossible> {
    let region_id = region_of(region)?;
    let (number_part, ext) = split_extension(input);
    let digits: String = number_part
        .chars()
        .filter(|c| c.is_ascii_digit() || *c == '+')
        .collect();
    if digits.is_empty() {
        return Err(if input.trim().is_empty() {
            NotPossible::Empty
        } else {
            NotPossible::NotANumber
        });
    }
    let first = parse_possible(number_part, region_id);
    let number = match first {
        Ok(n) => Ok(n),
        Err(e) => {
            // A number written for another country's international prefix: read it as `+`.
            match FOREIGN_IDD.iter().find_map(|p| digits.strip_prefix(p)) {
                Some(rest) if !digits.starts_with('+') && !rest.is_empty() => {
                    parse_possible(&format!("+{rest}"), region_id).map_err(|_| e)
                }
                _ => Err(e),
            }
        }
    }?;
    let util = util();
    let mut plain = number.clone();
    plain.extension = None;
    let e164 = util.format(&plain, PhoneNumberFormat::E164).into_owned();
    // A number whose E.164 form reads back as another number (degenerate inputs such as
    // `+91 0000000000`, where the national prefix is dropped) has no stable identity: matching,
    // searching and dialling it would disagree, so it is not a number that can be called.
    let stable = parse_possible(&e164, region_id)
        .map(|n| util.format(&n, PhoneNumberFormat::E164) == e164)
        .unwrap_or(false);
    if !stable {
        return Err(NotPossible::InvalidLength);
    }
    Ok(Read {
        number,
        plain,
        e164,
        extension: ext,
    })
}

/// The library as built so far (at least the tables of every number read on this thread).
fn util() -> Rc<PhoneNumberUtil> {
    tables::with(Some(&[]))
}

/// The library's reading of `input` in `region`, with the tables it needs: the region's
/// calling code's first; when the number names a calling code not built yet (the library's
/// `InvalidCountryCode`), the codes it may name, and the library asked again. So the answer is
/// the one it gives with every table built.
fn read(input: &str, region: Region) -> Result<PhoneNumber, ParseError> {
    // With the code after a `+` built too: the library reads it first, and only when it is not a
    // code does it try the region's international prefix after the `+`; a code it could not see
    // would send it down that second way.
    let plus: Vec<i32> = tables::code_after_plus(input).into_iter().collect();
    let first = tables::with_home(&region.as_region_str(), &plus).parse(input, Some(region));
    match first {
        Err(ParseError::InvalidCountryCode) => {
            let codes = tables::codes_in(input);
            match codes {
                Some(codes) if !tables::missing(&codes) => first,
                codes => tables::with(codes.as_deref()).parse(input, Some(region)),
            }
        }
        other => other,
    }
}

fn parse_possible(input: &str, region: Region) -> Result<PhoneNumber, NotPossible> {
    use rlibphonenumber::ValidationError;
    let number = read(input, region).map_err(|e| match e {
        ParseError::InvalidCountryCode => NotPossible::InvalidCountryCode,
        ParseError::TooShortAfterIdd | ParseError::TooShortNsn => NotPossible::TooShort,
        ParseError::TooLongNsn => NotPossible::TooLong,
        _ => NotPossible::NotANumber,
    })?;
    match util().is_possible_number_with_reason(&number) {
        Ok(rlibphonenumber::NumberLengthType::IsPossible) => Ok(number),
        // A local-only length needs an area code before it can be dialled from a contact centre.
        Ok(rlibphonenumber::NumberLengthType::IsPossibleLocalOnly) => Err(NotPossible::TooShort),
        Err(ValidationError::TooShort) => Err(NotPossible::TooShort),
        Err(ValidationError::TooLong) => Err(NotPossible::TooLong),
        Err(ValidationError::InvalidCountryCode) => Err(NotPossible::InvalidCountryCode),
        Err(_) => Err(NotPossible::InvalidLength),
    }
}

/// The E.164 form of `input`, for lookups and dialling: [`parse`]'s, without judging the
/// number's validity or region (a click-to-call's search is sent before either is needed).
pub fn normalize(input: &str, region: &str) -> Result<String, NotPossible> {
    remembered(&NORMALIZED, REMEMBERED_NORMALIZED, input, region, || {
        read_number(input, region).map(|r| r.e164)
    })
}

/// MATRIX-1: two numbers are the same when their E.164 forms are equal (extensions ignored).
pub fn same_number(a: &str, b: &str, region: &str) -> bool {
    match (normalize(a, region), normalize(b, region)) {
        (Ok(x), Ok(y)) => x == y,
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Numbers as agents meet them, from a fixed seed: each picker region (and some whose
    /// international prefix is long or shared) as the default, with no prefix, a trunk `0`, `+`,
    /// and the international prefixes of several countries, before a calling code (any, or
    /// none) and 3 to 12 digits.
    fn numbers(count: usize) -> Vec<(String, &'static str)> {
        const REGIONS: [&str; 8] = ["AU", "BR", "CN", "RU", "KZ", "JE", "CO", "JP"];
        const PREFIXES: [&str; 12] = [
            "", "0", "+", "00", "011", "0011", "810", "010", "0015", "14110011", "1795100", "+810",
        ];
        const CODES: [&str; 12] = [
            "", "1", "44", "39", "7", "86", "61", "55", "800", "882", "971", "599",
        ];
        let regions: Vec<&str> = PICKER_REGIONS
            .iter()
            .map(|(r, _)| *r)
            .chain(REGIONS)
            .collect();
        let mut seed = 0x2545_f491_4f6c_dd1du64;
        let mut next = move |n: usize| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            (seed % n as u64) as usize
        };
        (0..count)
            .map(|_| {
                let region = regions[next(regions.len())];
                let mut number = String::from(PREFIXES[next(PREFIXES.len())]);
                number.push_str(CODES[next(CODES.len())]);
                for _ in 0..3 + next(10) {
                    number.push(char::from(b'0' + next(10) as u8));
                }
                (number, region)
            })
            .collect()
    }

    // The tables are built one calling code at a time, as numbers need them: every number reads
    // as it does with every table built, whether its tables were built before (one thread reads
    // them all in turn) or it is the first number read (a fresh thread each).
    #[test]
    fn tables_built_as_needed_read_numbers_as_every_table_does() {
        let inputs = numbers(4000);
        let lazily = {
            let inputs = inputs.clone();
            std::thread::spawn(move || inputs.iter().map(|(n, r)| parse(n, r)).collect::<Vec<_>>())
                .join()
                .unwrap()
        };
        let first: Vec<_> = inputs
            .iter()
            .take(300)
            .map(|(n, r)| {
                let (n, r) = (n.clone(), *r);
                std::thread::spawn(move || parse(&n, r)).join().unwrap()
            })
            .collect();
        tables::with(None);
        let everything: Vec<_> = inputs.iter().map(|(n, r)| parse(n, r)).collect();
        for (i, (n, r)) in inputs.iter().enumerate() {
            assert_eq!(lazily[i], everything[i], "{n} in {r}, tables built so far");
            if let Some(first) = first.get(i) {
                assert_eq!(first, &everything[i], "{n} in {r}, the first number read");
            }
        }
        // The corpus reaches the cases that matter: valid numbers, foreign ones, refusals.
        let valid = everything.iter().filter(|p| p.is_ok()).count();
        let foreign = everything
            .iter()
            .zip(&inputs)
            .filter(|(p, (_, r))| p.as_ref().is_ok_and(|p| p.region.as_deref() != Some(r)))
            .count();
        assert!(
            valid > 400 && foreign > 100,
            "{valid} read, {foreign} foreign"
        );
        assert!(everything
            .iter()
            .any(|p| p == &Err(NotPossible::InvalidCountryCode)));
    }

    // A shared code is built with its main region first (`+1`: the US), and whole the first
    // time a number is not valid there: every region's example numbers of each kind, written
    // as agents meet them, read by agents of the main region and of others (Canada, Jersey,
    // Kazakhstan), cold and after one another, as with every table built.
    #[test]
    fn shared_codes_built_from_their_main_region_read_as_every_table_does() {
        use rlibphonenumber::PhoneNumberType as Type;
        let kinds = [
            Type::FixedLine,
            Type::Mobile,
            Type::TollFree,
            Type::PremiumRate,
            Type::VoIP,
        ];
        let mut inputs = Vec::new();
        let full = std::thread::spawn(move || {
            let util = tables::with(None);
            let mut out = Vec::new();
            for (code, agents) in [
                (1, ["US", "CA"]),
                (44, ["GB", "JE"]),
                (7, ["RU", "KZ"]),
                (358, ["FI", "AX"]),
            ] {
                for r in util
                    .get_regions_for_country_calling_code(code)
                    .into_iter()
                    .flatten()
                {
                    for written in examples(&util, r, &kinds) {
                        for agent in agents {
                            out.push((written.clone(), agent));
                        }
                    }
                }
                // Numbers of no region: a fictional `555-01xx`, a short one.
                for agent in agents {
                    out.push(("+1 555 010 1000".to_owned(), agent));
                    out.push(("(555) 010-1100".to_owned(), agent));
                }
            }
            let read: Vec<_> = out.iter().map(|(n, r)| parse(n, r)).collect();
            (out, read)
        })
        .join()
        .unwrap();
        inputs.extend(full.0.iter().cloned());
        assert!(inputs.len() > 300, "{} numbers", inputs.len());
        let after_one_another = {
            let inputs = inputs.clone();
            std::thread::spawn(move || inputs.iter().map(|(n, r)| parse(n, r)).collect::<Vec<_>>())
                .join()
                .unwrap()
        };
        // Agents of main regions only, one after another: the codes stay partial until a
        // number needs more (a US agent meets a UK number, then a Caribbean one...).
        let main_only: Vec<usize> = (0..inputs.len())
            .filter(|i| ["US", "GB", "RU", "FI"].contains(&inputs[*i].1))
            .collect();
        let mains = {
            let picked: Vec<_> = main_only.iter().map(|i| inputs[*i].clone()).collect();
            std::thread::spawn(move || picked.iter().map(|(n, r)| parse(n, r)).collect::<Vec<_>>())
                .join()
                .unwrap()
        };
        for (k, i) in main_only.iter().enumerate() {
            let (n, r) = &inputs[*i];
            assert_eq!(
                mains[k], full.1[*i],
                "{n} for an agent in {r}, after main regions' numbers"
            );
        }
        for (i, (n, r)) in inputs.iter().enumerate() {
            let (n2, r2) = (n.clone(), *r);
            let cold = std::thread::spawn(move || parse(&n2, r2)).join().unwrap();
            assert_eq!(
                cold, full.1[i],
                "{n} for an agent in {r}, the first number read"
            );
            assert_eq!(
                after_one_another[i], full.1[i],
                "{n} for an agent in {r}, after others"
            );
        }
        // A US agent's own numbers build the US only; a Canadian one, all of `+1`.
        std::thread::spawn(|| {
            warm_up("US");
            assert!(tables::partial(1));
            parse("(415) 555-2671", "US").unwrap();
            assert!(tables::partial(1), "a US number builds no other region");
            let ca = parse("+1 613 555 0123", "US").unwrap();
            assert_eq!(ca.region.as_deref(), Some("CA"));
            assert!(
                !tables::partial(1),
                "a Canadian number builds every region of +1"
            );
        })
        .join()
        .unwrap();
        std::thread::spawn(|| {
            warm_up("CA");
            assert!(
                !tables::partial(1),
                "a Canadian agent's code is built whole"
            );
        })
        .join()
        .unwrap();
    }

    // What was read before does not change how a number reads: a Russian agent (international
    // prefix 810) who has read a UK number reads `+810 44…` as Japan's `+81`, as every table does,
    // not as 810 then the UK.
    #[test]
    fn earlier_numbers_do_not_change_a_reading() {
        let cases = [
            ("+44 20 7946 0018", "+810 44 20 7946 0018", "RU"),
            ("+44 20 7946 0018", "+1411 0011 44 20 7946 0018", "AU"),
            ("+39 06 6988 0000", "+00 39 06 6988 0000", "US"),
        ];
        for (before, number, region) in cases {
            let read = std::thread::spawn(move || {
                let _ = parse(before, region);
                parse(number, region)
            })
            .join()
            .unwrap();
            let everything = std::thread::spawn(move || {
                tables::with(None);
                parse(number, region)
            })
            .join()
            .unwrap();
            assert_eq!(read, everything, "{number} in {region} after {before}");
        }
    }

    // Only what is read is built: a US agent's own numbers build `+1`'s tables, not Italy's;
    // an Italian agent's warm-up builds Italy's, not `+1`'s.
    #[test]
    fn only_the_calling_codes_read_are_built() {
        std::thread::spawn(|| {
            warm_up("IT");
            assert!(!tables::missing(&[39]));
            assert!(tables::missing(&[1]));
            parse("+44 20 7946 0018", "IT").unwrap();
            assert!(tables::missing(&[1]));
            assert!(tables::missing(&[20]), "only the code after the +");
        })
        .join()
        .unwrap();
        std::thread::spawn(|| {
            parse("(415) 555-2671", "US").unwrap();
            assert!(!tables::missing(&[1]));
            assert!(tables::missing(&[39]));
            parse("011 39 06 6988 0000", "US").unwrap();
            assert!(!tables::missing(&[39]));
            assert!(tables::missing(&[44]));
        })
        .join()
        .unwrap();
    }

    // `normalize` skips what `parse` judges after the E.164 form (validity, region, formats):
    // it gives the same form, and refuses the same numbers.
    #[test]
    fn normalize_gives_parse_s_e164() {
        for (number, region) in numbers(4_000) {
            assert_eq!(
                normalize(&number, region),
                parse(&number, region).map(|p| p.e164),
                "{number} in {region}"
            );
        }
    }

    // A number read again, lately or after many others (no longer remembered), reads as it
    // does read afresh, in each region: a reading kept is the reading.
    #[test]
    fn a_number_read_again_reads_as_read_afresh() {
        let fresh = |n: &str, r: &str| (parse_now(n, r), read_number(n, r).map(|x| x.e164));
        let inputs = numbers(400);
        for round in 0..3 {
            for (n, r) in &inputs {
                assert_eq!(
                    (parse(n, r), normalize(n, r)),
                    fresh(n, r),
                    "{n} in {r}, round {round}"
                );
            }
        }
        // The region is part of what is remembered.
        let local = "(415) 555-2671";
        assert_eq!(parse(local, "US").unwrap().e164, "+14155552671");
        assert_ne!(parse(local, "IT"), parse(local, "US"));
        assert_eq!(parse(local, "IT"), parse_now(local, "IT"));
        assert_ne!(normalize(local, "IT"), normalize(local, "US"));
    }

    // A foreign number rebuilds the tables, which starts them cold: the warm-up is owed again,
    // and taken again; a number of the region does not undo it.
    #[test]
    fn the_warm_up_is_owed_again_after_a_rebuild() {
        std::thread::spawn(|| {
            assert!(!is_warm("US"));
            warm_up("US");
            assert!(is_warm("US"));
            assert!(!is_warm("IT"));
            parse("(415) 555-2671", "US").unwrap();
            assert!(is_warm("US"), "a number of the region builds nothing");
            parse("+39 06 6988 0000", "US").unwrap();
            assert!(!is_warm("US"), "a new calling code rebuilds the tables");
            warm_up("US");
            assert!(is_warm("US"));
            assert!(
                !tables::missing(&[1, 39]),
                "the warm-up keeps what was built"
            );
        })
        .join()
        .unwrap();
    }

    // Regression: `+910000000000` normalised to `+9100000000`, which normalised to
    // `+91000000000`: normalisation was not idempotent. Such a number is refused now.
    #[test]
    fn unstable_numbers_are_not_possible() {
        assert_eq!(
            parse("+910000000000", "US"),
            Err(NotPossible::InvalidLength)
        );
        assert_eq!(
            normalize("+1 415 555 2671", "US").as_deref(),
            Ok("+14155552671")
        );
    }

    // UI-5: every keypad key types its own character.
    #[test]
    fn keys_type_their_characters() {
        let mut b = NumberBuffer::default();
        for key in Key::ALL {
            b.clear();
            assert!(b.press(key));
            assert_eq!(b.as_str(), key.as_char().to_string());
            assert_eq!(Key::from_char(key.as_char()), Some(key));
        }
    }

    // UI-7: `+` starts an international number and is refused anywhere else.
    #[test]
    fn plus_only_at_the_start() {
        let mut b = NumberBuffer::default();
        assert!(b.press(Key::Plus));
        assert!(b.press(Key::Digit(4)));
        assert!(!b.press(Key::Plus));
        assert_eq!(b.as_str(), "+4");
    }

    // UI-7: spaces, dots, dashes and parentheses are stripped from a paste.
    #[test]
    fn paste_strips_punctuation() {
        assert_eq!(
            NumberBuffer::from_text("(415) 123-4567").as_str(),
            "4151234567"
        );
        assert_eq!(
            NumberBuffer::from_text("+39 02.1234.5678").as_str(),
            "+390212345678"
        );
        assert_eq!(NumberBuffer::from_text("abc").as_str(), "");
    }

    #[test]
    fn backspace_and_capacity() {
        let mut b = NumberBuffer::from_text("12");
        b.backspace();
        assert_eq!(b.as_str(), "1");
        b.backspace();
        b.backspace();
        assert!(b.is_empty());
        let long = "1".repeat(MAX_BUFFER_LEN + 5);
        assert_eq!(
            NumberBuffer::from_text(&long).as_str().len(),
            MAX_BUFFER_LEN
        );
    }

    // A number written in letters, pasted, reads as the keypad would type it; words beside a
    // number do not. Before, the letters were dropped: "1-800-FLOWERS" became "1800", refused.
    #[test]
    fn paste_reads_a_number_written_in_letters() {
        for (text, number, ext) in [
            ("1-800-FLOWERS", "18003569377", None),
            ("1800flowers", "18003569377", None),
            ("+1 800 MY-APPLE", "+18006927753", None),
            ("1-800-FEDEX", "180033339", None),
            ("1-800-GO-FEDEX x12", "18004633339", Some("12")),
            ("1-800-FLOWERS ext. 7", "18003569377", Some("7")),
            ("Tel: 1-800-PICK-UPS", "18007425877", None),
            // Not letters of the number: dropped, as before.
            ("555 0143 mobile", "5550143", None),
            ("555-0143 (home)", "5550143", None),
            ("Call 555-0143", "5550143", None),
            ("555-0143 Mobile", "5550143", None),
            ("555-01AB", "55501", None),
            ("abc", "", None),
        ] {
            let b = NumberBuffer::from_text(text);
            assert_eq!((b.as_str(), b.extension()), (number, ext), "{text}");
        }
        // Typed a key at a time, an extension's marker is still a marker.
        let b = NumberBuffer::from_text("4155552671 ext");
        assert_eq!(b.display("ext."), "4155552671 ext. ");
        let b = NumberBuffer::from_text("4155552671 x");
        assert_eq!(b.display("ext."), "4155552671 ext. ");
    }

    // UI-7, Anchors §7.4: an extension is kept apart from the number.
    #[test]
    fn paste_keeps_extension_apart() {
        let b = NumberBuffer::from_text("+1 415 555 2671 x123");
        assert_eq!(b.as_str(), "+14155552671");
        assert_eq!(b.extension(), Some("123"));
        assert_eq!(b.to_parse_input(), "+14155552671 ext. 123");
        let b = NumberBuffer::from_text("(415) 555-2671 ext. 45");
        assert_eq!((b.as_str(), b.extension()), ("4155552671", Some("45")));
        let b = NumberBuffer::from_text("415 555 2671 extension 9");
        assert_eq!((b.as_str(), b.extension()), ("4155552671", Some("9")));
        let mut b = NumberBuffer::from_text("4155552671,7");
        assert_eq!(b.extension(), Some("7"));
        assert_eq!(b.display("ext."), "4155552671 ext. 7");
        b.backspace();
        assert_eq!((b.as_str(), b.extension()), ("4155552671", None));
        assert_eq!(
            b.display("ext."),
            "4155552671 ext. ",
            "the marker is still there"
        );
        b.backspace();
        assert_eq!(b.display("ext."), "4155552671");
        b.backspace();
        assert_eq!(b.as_str(), "415555267");
    }

    // UI-7: an extension typed a key at a time, as the number field gets it: the keypad's keys
    // (digits, *, #, +) are pressed; any other character is typed into what the field shows,
    // and the whole text read again. The marker keeps its place until the digits come.
    #[test]
    fn an_extension_typed_key_by_key_is_kept_apart() {
        for typed in [
            "+1 415 555 2671 ext. 12",
            "+1 415 555 2671 x12",
            "+1 415 555 2671,12",
            "+1 415 555 2671;12",
        ] {
            let mut b = NumberBuffer::default();
            for c in typed.chars() {
                match Key::from_char(c) {
                    Some(key) => {
                        b.press(key);
                    }
                    None => b = NumberBuffer::from_text(&format!("{}{c}", b.display("ext."))),
                }
            }
            assert_eq!(
                (b.as_str(), b.extension()),
                ("+14155552671", Some("12")),
                "{typed}"
            );
            assert_eq!(b.display("ext."), "+14155552671 ext. 12", "{typed}");
            assert_eq!(b.to_parse_input(), "+14155552671 ext. 12", "{typed}");
        }
        // Letters before any digit are not a marker: nothing is kept of them.
        let b = NumberBuffer::from_text("e");
        assert_eq!(b.display("ext."), "");
        // In Italian the field shows `int.`, and what it shows, typed on, reads the same.
        let mut b = NumberBuffer::default();
        for c in "+39 02 1234 5678,12".chars() {
            match Key::from_char(c) {
                Some(key) => {
                    b.press(key);
                }
                None => b = NumberBuffer::from_text(&format!("{}{c}", b.display("int."))),
            }
        }
        assert_eq!((b.as_str(), b.extension()), ("+390212345678", Some("12")));
        assert_eq!(b.display("int."), "+390212345678 int. 12");
        let again = NumberBuffer::from_text(&format!("{}3", b.display("int.")));
        assert_eq!(again.extension(), Some("123"));
    }

    // Italian numbers are written with `int.` (interno) before the extension: pasted, its digits
    // went into the number ("+39 02 1234 5678 int. 12" called +39021234567812). A word before
    // the number with a marker's letters in it ("Fax:", "Tel/Fax") is no marker: the whole
    // number went to the extension, and the number was empty.
    #[test]
    fn paste_reads_italian_markers_and_no_marker_before_the_number() {
        for (text, number, ext) in [
            ("+39 02 1234 5678 int. 12", "+390212345678", Some("12")),
            ("+39 02 1234 5678 interno 7", "+390212345678", Some("7")),
            ("02 1234 5678 int 305", "0212345678", Some("305")),
            ("Fax: +1 415 555 2671", "+14155552671", None),
            ("Tel/Fax +39 02 1234 5678", "+390212345678", None),
            ("Fax: +1 415 555 2671 x12", "+14155552671", Some("12")),
            ("Interno: 555-0143", "5550143", None),
            ("1-800-PRINTER", "18007746837", None),
            ("1-800-NEXT-DAY", "18006398329", None),
            ("1-888-INTERNET", "188846837638", None),
            ("+39 02 1234 5678 (Intesa Sanpaolo)", "+390212345678", None),
            ("+39 02 1234 5678 (internazionale)", "+390212345678", None),
            ("+1 800 555 0199 Print shop", "+18005550199", None),
            ("+1 415 555 2671 (fax)", "+14155552671", None),
        ] {
            let b = NumberBuffer::from_text(text);
            assert_eq!((b.as_str(), b.extension()), (number, ext), "{text}");
            if ext.is_none() {
                // No marker left waiting for the digits typed next.
                assert_eq!(b.display("ext."), number, "{text}");
            }
        }
    }

    // UI-7, Anchors §7.4: E.164, national and international formats.
    #[test]
    fn parse_spot_checks() {
        let cases = [
            (
                "(202) 555-0173",
                "US",
                "+12025550173",
                "(202) 555-0173",
                "+1 202-555-0173",
            ),
            (
                "020 7183 8750",
                "GB",
                "+442071838750",
                "020 7183 8750",
                "+44 20 7183 8750",
            ),
            (
                "06 12 34 56 78",
                "FR",
                "+33612345678",
                "06 12 34 56 78",
                "+33 6 12 34 56 78",
            ),
            (
                "0049 30 901820",
                "DE",
                "+4930901820",
                "030 901820",
                "+49 30 901820",
            ),
            (
                "+39 06 6982 1234",
                "IT",
                "+390669821234",
                "06 6982 1234",
                "+39 06 6982 1234",
            ),
            (
                "333 123 4567",
                "it",
                "+393331234567",
                "333 123 4567",
                "+39 333 123 4567",
            ),
        ];
        for (input, region, e164, national, international) in cases {
            let p = parse(input, region).unwrap_or_else(|e| panic!("{input}: {e}"));
            assert_eq!(p.e164, e164, "{input}");
            assert_eq!(p.national, national, "{input}");
            assert_eq!(p.international, international, "{input}");
            assert_eq!(p.validity, Validity::Valid, "{input}");
        }
    }

    // UI-7, Anchors §7.3 #2: `011` from the US, `00` from Europe, and either one pasted anywhere.
    #[test]
    fn international_prefixes() {
        assert_eq!(
            normalize("011 44 20 7183 8750", "US").unwrap(),
            "+442071838750"
        );
        assert_eq!(
            normalize("0044 20 7183 8750", "GB").unwrap(),
            "+442071838750"
        );
        assert_eq!(
            normalize("0044 20 7183 8750", "DE").unwrap(),
            "+442071838750"
        );
        assert_eq!(
            normalize("0044 20 7183 8750", "US").unwrap(),
            "+442071838750"
        );
        assert_eq!(
            normalize("+44 20 7183 8750", "US").unwrap(),
            "+442071838750"
        );
    }

    // UI-7, Anchors §7.3 #4: two levels; not possible blocks, possible-not-valid warns.
    #[test]
    fn two_validity_levels() {
        assert_eq!(parse("12345", "US"), Err(NotPossible::TooShort));
        assert_eq!(parse("", "US"), Err(NotPossible::Empty));
        assert_eq!(parse("call me", "US"), Err(NotPossible::NotANumber));
        assert_eq!(
            parse("+999 1234 5678", "US"),
            Err(NotPossible::InvalidCountryCode)
        );
        assert_eq!(
            parse("+1 415 555 2671 1234", "US"),
            Err(NotPossible::TooLong)
        );
        // 555-01xx is fictional but has a possible length.
        let p = parse("(415) 123-4567", "US").unwrap();
        assert_eq!(p.validity, Validity::PossibleNotValid);
        assert_eq!(p.e164, "+14151234567");
        assert_eq!(
            parse("2025550173", "USA"),
            Err(NotPossible::UnknownRegion("USA".into()))
        );
    }

    // Anchors §7.3 #6: national format in the agent's region, international elsewhere.
    #[test]
    fn display_by_region() {
        let p = parse("+1 415 555 2671 x12", "GB").unwrap();
        assert_eq!(p.display("US"), "(415) 555-2671");
        assert_eq!(p.display("GB"), "+1 415-555-2671");
        assert_eq!(p.extension.as_deref(), Some("12"));
        assert_eq!(p.e164, "+14155552671");
    }

    // MATRIX-1: matching on E.164, whatever the stored formatting.
    #[test]
    fn same_number_ignores_formatting() {
        assert!(same_number("(415) 555-2671", "+14155552671", "US"));
        assert!(same_number("+1 415.555.2671", "4155552671", "US"));
        assert!(!same_number("4155552671", "4155552672", "US"));
        assert!(!same_number("garbage", "garbage", "US"));
    }

    #[test]
    fn key_names_are_test_id_suffixes() {
        let names: Vec<_> = Key::ALL.iter().map(|k| k.name()).collect();
        assert_eq!(
            names,
            ["1", "2", "3", "4", "5", "6", "7", "8", "9", "star", "0", "hash", "plus"]
        );
    }
}
