//! Every option exists in Rust, in C, in C++, in Go and in Swift under the
//! same name, has a row in docs/options.md, and has the same default
//! everywhere: this test compares the lists and the defaults and names what
//! differs where. (The Swift package's own parity test checks each Swift
//! property's default against the docs' default column, which this test
//! holds to the Rust builder's.)
//!
//! Defaults. C, C++ and Go have no defaults of their own in code: each
//! starts from `sselink_config_new`, which is `Stream::builder(url)` with
//! every Rust default, and sets only what the caller asks for
//! (`bindings_start_from_the_rust_defaults` holds them to that). So the
//! true defaults are the Rust builder's, read from a new builder through
//! `Builder::option_values` (not parsed from the source, so a default
//! computed anywhere, `ReconnectPolicy::default()` say, counts). What can
//! drift is what each binding tells its users: the table in
//! docs/options.md, each Rust setter's rustdoc, each C setter's comment in
//! include/sselink.h (the C and C++ reference: the C++ setters say only
//! which C function they call) and each Go option's doc comment.
//! `every_documented_default_is_the_default` reads the default each of those
//! states and compares it with the builder's. An option whose default is a
//! value (a duration, a size, a switch, a choice, a count) must state it in
//! every one; one whose default is the absence of a value (no header, no
//! proxy: `unset`) may say nothing, or name the absence.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use sselink_core::Stream;

fn read(relative: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .join(relative);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The public setters of `impl Builder` in the core's config.rs.
fn rust_setters() -> BTreeSet<String> {
    let source = read("src/config.rs");
    let start = source
        .find("\nimpl Builder {")
        .expect("impl Builder in src/config.rs");
    let block = &source[start..];
    let end = block.find("\n}\n").expect("end of impl Builder");
    block[..end]
        .lines()
        .filter_map(|line| line.strip_prefix("    pub fn "))
        .map(|rest| rest.split(['(', '<']).next().unwrap().to_string())
        .filter(|name| name != "error")
        .collect()
}

/// The `sselink_config_*` setters in the committed header: the functions
/// that take a mutable configuration first.
fn c_setters() -> BTreeSet<String> {
    read("include/sselink.h")
        .replace("*SSELINK_NULLABLE ", "*")
        .lines()
        .filter_map(|line| line.strip_prefix("enum sselink_result sselink_config_"))
        .filter(|rest| rest.contains("(struct sselink_config *config"))
        .map(|rest| rest.split('(').next().unwrap().to_string())
        .collect()
}

/// The Go options (`func Name(...) Option` in ffi-examples/go/options.go),
/// named back in snake case: `LastEventID` is `last_event_id`.
fn go_options() -> BTreeSet<String> {
    read("ffi-examples/go/options.go")
        .lines()
        .filter_map(|line| line.strip_prefix("func "))
        .filter(|rest| rest.ends_with(") Option {"))
        .map(|rest| snake_case(rest.split('(').next().unwrap()))
        .collect()
}

/// The C setters the Swift package's `Configuration.apply(to:)` calls
/// (ffi-examples/swift/Sources/SSELink/Configuration.swift): each option is
/// set through its setter there, so a setter it never calls is an option
/// Swift lacks.
fn swift_setters() -> BTreeSet<String> {
    let source = read("ffi-examples/swift/Sources/SSELink/Configuration.swift");
    let start = source
        .find("func apply(to config: OpaquePointer)")
        .expect("Configuration.apply(to:) in the Swift package");
    source[start..]
        .split("sselink_config_")
        .skip(1)
        .filter_map(|rest| {
            let name: String = rest
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect();
            rest[name.len()..].starts_with('(').then_some(name)
        })
        .filter(|name| name != "error")
        .collect()
}

/// `ResumeFromHighestID` as `resume_from_highest_id`: a run of capitals is
/// one word (`ID`, `URL`, `EOF`), and a plural `IDs` is `ids`.
fn snake_case(name: &str) -> String {
    let name = name.replace("IDs", "Ids");
    let chars: Vec<char> = name.chars().collect();
    let mut out = String::new();
    for (i, &c) in chars.iter().enumerate() {
        let starts_word = c.is_uppercase()
            && i > 0
            && (chars[i - 1].is_lowercase()
                || chars.get(i + 1).is_some_and(|next| next.is_lowercase()));
        if starts_word {
            out.push('_');
        }
        out.push(c.to_ascii_lowercase());
    }
    out
}

/// The first column of the table in docs/options.md.
fn documented() -> BTreeSet<String> {
    read("docs/options.md")
        .lines()
        .filter_map(|line| line.strip_prefix("| `"))
        .map(|rest| rest.split('`').next().unwrap().to_string())
        .collect()
}

fn missing(from: &BTreeSet<String>, in_: &BTreeSet<String>) -> Vec<String> {
    in_.difference(from).cloned().collect()
}

#[test]
fn go_names_turn_back_into_rust_names() {
    for (go, rust) in [
        ("LastEventID", "last_event_id"),
        ("DeduplicateIDs", "deduplicate_ids"),
        ("PostURL", "post_url"),
        ("DispatchIncompleteAtEOF", "dispatch_incomplete_at_eof"),
        ("ResumeFromHighestID", "resume_from_highest_id"),
        ("Header", "header"),
    ] {
        assert_eq!(snake_case(go), rust);
    }
}

#[test]
fn every_option_exists_in_rust_in_c_in_go_in_swift_and_in_the_docs() {
    let (rust, c, docs, go) = (rust_setters(), c_setters(), documented(), go_options());
    let swift = swift_setters();
    assert_eq!(
        (missing(&swift, &c), missing(&c, &swift)),
        (vec![], vec![]),
        "(C setters missing in Swift's Configuration.apply, Swift calls of setters C lacks)"
    );
    assert_eq!(
        (missing(&go, &rust), missing(&rust, &go)),
        (vec![], vec![]),
        "(Rust setters missing in Go, Go options missing in Rust)"
    );
    assert!(rust.len() >= 30, "too few Rust setters found: {rust:?}");
    assert!(rust.contains("header") && rust.contains("reader_stack_size"));
    assert_eq!(
        (missing(&c, &rust), missing(&rust, &c)),
        (vec![], vec![]),
        "(Rust setters missing in C, C setters missing in Rust)"
    );
    assert_eq!(
        (missing(&docs, &rust), missing(&rust, &docs)),
        (vec![], vec![]),
        "(Rust setters missing in docs/options.md, documented options missing in Rust)"
    );
}

/// The C++ wrapper's setters (`Config &name(...)` in the public part of
/// `class Config` in include/sselink.hpp), each with the `sselink_config_*` functions its body
/// calls and its parameter list.
fn cpp_setters() -> BTreeMap<String, (BTreeSet<String>, String)> {
    let source = read("include/sselink.hpp");
    let start = source
        .find("\nclass Config {")
        .expect("class Config in sselink.hpp");
    let class = &source[start..];
    let class = &class[..class
        .find("\n  private:")
        .expect("private part of class Config")];
    let mut setters = BTreeMap::new();
    for piece in class.split("\n    Config &").skip(1) {
        let Some((name, rest)) = piece.split_once('(') else {
            continue;
        };
        if name.starts_with("operator")
            || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        {
            continue;
        }
        let parameters = rest.split(") {").next().unwrap().to_string();
        setters.insert(name.to_string(), (c_calls(rest), parameters));
    }
    setters
}

/// The `sselink_config_*` functions `text` calls, without the prefix.
fn c_calls(text: &str) -> BTreeSet<String> {
    text.split("sselink_config_")
        .skip(1)
        .filter_map(|rest| {
            let name: String = rest
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect();
            rest[name.len()..].starts_with('(').then_some(name)
        })
        .collect()
}

/// The body of the first function whose declaration contains `signature`:
/// from there to the first line that is a lone `}` at `indent`.
fn body_of<'a>(source: &'a str, signature: &str, indent: &str) -> &'a str {
    let start = source
        .find(signature)
        .unwrap_or_else(|| panic!("`{signature}` not found"));
    let body = &source[start..];
    let end = body
        .find(&format!("\n{indent}}}\n"))
        .unwrap_or_else(|| panic!("end of `{signature}` not found"));
    &body[..end]
}

#[test]
fn every_c_setter_has_a_cpp_setter_that_calls_it() {
    let (c, cpp) = (c_setters(), cpp_setters());
    let names: BTreeSet<String> = cpp.keys().cloned().collect();
    assert_eq!(
        (missing(&names, &c), missing(&c, &names)),
        (vec![], vec![]),
        "(C setters missing in the C++ Config, C++ setters missing in C)"
    );
    for (name, (calls, parameters)) in &cpp {
        assert_eq!(
            calls,
            &BTreeSet::from([name.clone()]),
            "C++ Config::{name} must call sselink_config_{name} and no other setter"
        );
        assert!(
            !parameters.contains('='),
            "C++ Config::{name}({parameters}) has a default argument: a default of its own"
        );
    }
}

/// The bindings set no option on their own: a binding that did would have
/// a default of its own, which the documentation comparison cannot see.
#[test]
fn bindings_start_from_the_rust_defaults() {
    // C: a new configuration is `Stream::builder(url)`, no setter called.
    let capi = read("capi/src/config.rs");
    let new = body_of(&capi, "fn sselink_config_new(", "");
    assert!(new.contains("Stream::builder(url)"), "{new}");
    for setter in rust_setters() {
        assert!(
            !new.contains(&format!(".{setter}(")),
            "sselink_config_new sets {setter} itself"
        );
    }
    // C++: the constructor makes the configuration and sets nothing.
    let hpp = read("include/sselink.hpp");
    let constructor = body_of(&hpp, "explicit Config(std::string_view url)", "    ");
    assert_eq!(
        c_calls(constructor),
        BTreeSet::from(["new".to_string()]),
        "the C++ Config constructor calls a configuration function it should not"
    );
    // Go: Connect applies the caller's options and no option of its own,
    // and each Option calls the C setter of its own name.
    let go = read("ffi-examples/go/sselink.go");
    let connect = body_of(&go, "func Connect(", "");
    assert_eq!(
        c_calls(connect),
        BTreeSet::from(["free", "new"].map(String::from)),
        "Go's Connect calls a configuration function it should not"
    );
    let options = read("ffi-examples/go/options.go");
    for piece in options.split("\nfunc ").skip(1) {
        let header = piece.lines().next().unwrap();
        if !header.ends_with(") Option {") {
            continue;
        }
        let name = snake_case(header.split('(').next().unwrap());
        let body = &piece[..piece.find("\n}\n").unwrap_or(piece.len())];
        assert_eq!(
            c_calls(body),
            BTreeSet::from([name.clone()]),
            "Go option {name} must call sselink_config_{name} and no other setter"
        );
    }
}

/// One binding's documentation of the defaults: per option, the default its
/// text states (`None` when it states none). `bare_ms`: a bare number for a
/// duration means milliseconds (C's convention); elsewhere a duration needs
/// its unit.
///
/// Swift has no column here: its `Configuration` holds a default of its
/// own for every property and sets each one on the C configuration, so the
/// Swift package's parity test (ffi-examples/swift, `everyDefaultIsTheLibrarys`)
/// reads the true Swift values at run time and compares them with the
/// docs/options.md column, which this test holds to the Rust builder's.
struct Column {
    name: &'static str,
    bare_ms: bool,
    stated: BTreeMap<String, Option<String>>,
}

fn columns() -> Vec<Column> {
    vec![
        Column {
            name: "docs/options.md",
            bare_ms: false,
            stated: table_defaults(),
        },
        Column {
            name: "Rust rustdoc (src/config.rs)",
            bare_ms: false,
            stated: rust_docs(),
        },
        Column {
            name: "C (include/sselink.h)",
            bare_ms: true,
            stated: c_docs(),
        },
        Column {
            name: "Go (ffi-examples/go/options.go)",
            bare_ms: false,
            stated: go_docs(),
        },
    ]
}

/// The column headed `default` of the table in docs/options.md.
fn table_defaults() -> BTreeMap<String, Option<String>> {
    let table = read("docs/options.md");
    let cells = |line: &str| -> Vec<String> {
        line.split('|')
            .map(|cell| cell.trim().to_string())
            .collect()
    };
    let header = table
        .lines()
        .find(|line| line.starts_with("| option |"))
        .expect("the table's header row in docs/options.md");
    let column = cells(header)
        .iter()
        .position(|cell| cell == "default")
        .expect("a `default` column in docs/options.md");
    table
        .lines()
        .filter(|line| line.starts_with("| `"))
        .map(|line| {
            let row = cells(line);
            (
                row[1].trim_matches('`').to_string(),
                Some(row[column].clone()),
            )
        })
        .collect()
}

/// The doc comments (lines starting with `marker`) right above each
/// declaration `name_of` recognises, joined into one line, up to a
/// `# Safety` section.
fn doc_comments(
    source: &str,
    marker: &str,
    name_of: impl Fn(&str) -> Option<String>,
) -> BTreeMap<String, String> {
    let mut docs = BTreeMap::new();
    let mut comment: Vec<&str> = Vec::new();
    for line in source.lines() {
        let trimmed = line.trim_start();
        if let Some(text) = trimmed.strip_prefix(marker) {
            comment.push(text.trim());
        } else if trimmed.starts_with("#[") {
            // An attribute between the comment and the declaration.
        } else {
            if let Some(name) = name_of(line) {
                let text = comment.join(" ");
                let text = text.split("# Safety").next().unwrap().trim().to_string();
                docs.insert(name, text);
            }
            comment.clear();
        }
    }
    docs
}

fn stated(docs: BTreeMap<String, String>) -> BTreeMap<String, Option<String>> {
    docs.into_iter()
        .map(|(name, text)| {
            let default = stated_default(&text);
            (name, default)
        })
        .collect()
}

fn rust_docs() -> BTreeMap<String, Option<String>> {
    let source = read("src/config.rs");
    let setters = rust_setters();
    stated(doc_comments(&source, "///", |line| {
        let name = line.strip_prefix("    pub fn ")?.split(['(', '<']).next()?;
        setters.contains(name).then(|| name.to_string())
    }))
}

fn c_docs() -> BTreeMap<String, Option<String>> {
    stated(doc_comments(&read("include/sselink.h"), "//", |line| {
        let rest = line.strip_prefix("enum sselink_result sselink_config_")?;
        rest.contains("(struct sselink_config *SSELINK_NULLABLE config")
            .then(|| rest.split('(').next().unwrap().to_string())
    }))
}

fn go_docs() -> BTreeMap<String, Option<String>> {
    stated(doc_comments(
        &read("ffi-examples/go/options.go"),
        "//",
        |line| {
            let rest = line.strip_prefix("func ")?;
            rest.ends_with(") Option {")
                .then(|| snake_case(rest.split('(').next().unwrap()))
        },
    ))
}

/// The default a doc comment states, as written: each mention of "default"
/// read in the forms the comments use ("default 10 s", "Default: every
/// type", "(default 1000 and 30000)", "`GET` by default", "Off by default",
/// "by default (false)", "0 (the default)", "(true, the default)"), several
/// mentions joined with " and ". "The system's default" and the like are
/// someone else's default and are skipped. `None` when there is no mention.
fn stated_default(text: &str) -> Option<String> {
    let lower = text.to_ascii_lowercase();
    let mut found = Vec::new();
    for (at, _) in lower.match_indices("default") {
        let end = at + "default".len();
        let before = &text[..at];
        let after = &text[end..];
        if after.starts_with(|c: char| c.is_alphanumeric()) || before.ends_with("'s ") {
            continue;
        }
        let phrase = if let Some(before) = before.strip_suffix("(the ") {
            // "0 (the default)": the word before the parenthesis.
            last_word(before).to_string()
        } else if let Some(before) = before.strip_suffix(", the ") {
            // "(true, the default)": from the parenthesis.
            before[before.rfind('(')? + 1..].to_string()
        } else if before.to_ascii_lowercase().ends_with("by ") {
            let rest = after.trim_start();
            if let Some(inner) = rest.strip_prefix('(') {
                // "by default (false)".
                inner.split(')').next().unwrap().to_string()
            } else if rest.is_empty() || rest.starts_with([';', ',', '.', ')', ':']) {
                // "`GET` by default;", "Off by default.".
                last_word(before.trim_end().strip_suffix("by").unwrap()).to_string()
            } else {
                // "by default the stream URL ...".
                up_to_the_end_of_the_phrase(rest)
            }
        } else {
            // "default 10 s;", "Default: every type.", "(default 1000 and 30000)".
            up_to_the_end_of_the_phrase(after.trim_start_matches(':').trim_start())
        };
        found.push(phrase.trim().to_string());
    }
    (!found.is_empty()).then(|| found.join(" and "))
}

fn last_word(text: &str) -> &str {
    text.split_whitespace().last().unwrap_or("")
}

/// `text` up to `;`, `,`, `)`, or a `.` or `:` that ends the text or comes
/// before a space (`0.5` is a number, `Overflow::Block` a name).
fn up_to_the_end_of_the_phrase(text: &str) -> String {
    let bytes = text.as_bytes();
    let end = (0..bytes.len())
        .find(|&i| match bytes[i] {
            b';' | b',' | b')' => true,
            b'.' | b':' => bytes.get(i + 1).is_none_or(|c| c.is_ascii_whitespace()),
            _ => false,
        })
        .unwrap_or(bytes.len());
    text[..end].to_string()
}

/// Phrases that name the absence of a value, `unset` in
/// `Builder::option_values`: what it means is said next to them.
const UNSET: [&str; 5] = [
    "none",
    "empty",
    "every type",
    "the environment's",
    "no_proxy, NO_PROXY",
];

/// A stated default in `option_values`' form, part by part, given the true
/// default (for the unit a bare number has). An error says what cannot be
/// read.
fn normalize(stated: &str, truth: &str, bare_ms: bool) -> Result<String, String> {
    let text = stated.replace(['`', '[', ']'], "");
    let text = text.trim();
    if UNSET.contains(&text) || text.starts_with("the stream URL") || text.starts_with("stream URL")
    {
        return Ok("unset".to_string());
    }
    // "0 (never)", "0 (system default, 2 MiB)": the value before the remark.
    let text = match text.split_once(" (") {
        Some((value, _)) if text.ends_with(')') => value,
        _ => text,
    };
    let parts: Vec<&str> = text.split(" and ").flat_map(|p| p.split(", ")).collect();
    let truths: Vec<&str> = truth.split(", ").collect();
    let mut out = Vec::new();
    for (i, part) in parts.iter().enumerate() {
        let unit = truths
            .get(i)
            .and_then(|t| t.split_once(' '))
            .map(|(_, unit)| unit);
        out.push(normalize_part(part.trim(), unit, bare_ms)?);
    }
    Ok(out.join(", "))
}

/// One value: a switch, a number with or without its unit, a choice's name
/// in any binding's spelling (`SSELINK_OVERFLOW_DROP_OLDEST`,
/// `Overflow::DropOldest`, `OverflowDropOldest`), or a word such as `GET`.
fn normalize_part(part: &str, unit: Option<&str>, bare_ms: bool) -> Result<String, String> {
    match part.to_ascii_lowercase().as_str() {
        "on" | "true" => return Ok("on".into()),
        "off" | "false" => return Ok("off".into()),
        "zero" => return normalize_part("0", unit, bare_ms),
        _ => {}
    }
    let digits = part
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(part.len());
    if digits > 0 {
        let number: f64 = part[..digits]
            .parse()
            .map_err(|_| format!("`{part}` is not a number"))?;
        let scaled = |factor: f64| (number * factor).round() as u64;
        return match part[digits..].trim() {
            "ms" => Ok(format!("{} ms", scaled(1.0))),
            "s" => Ok(format!("{} ms", scaled(1e3))),
            "min" => Ok(format!("{} ms", scaled(60e3))),
            "B" | "bytes" => Ok(format!("{} B", scaled(1.0))),
            "KiB" => Ok(format!("{} B", scaled(1024.0))),
            "MiB" => Ok(format!("{} B", scaled(1048576.0))),
            "GiB" => Ok(format!("{} B", scaled(1073741824.0))),
            "" => Ok(match unit {
                Some("B") => format!("{number} B"),
                Some("ms") if bare_ms || number == 0.0 => format!("{number} ms"),
                Some("ms") => format!("{number} (a duration without its unit)"),
                _ => number.to_string(),
            }),
            other => Err(format!("`{part}`: unknown unit `{other}`")),
        };
    }
    for prefix in [
        "SSELINK_OVERFLOW_",
        "SSELINK_JITTER_SHAPE_",
        "Overflow::",
        "JitterShape::",
        "Overflow",
        "Jitter",
    ] {
        if let Some(choice) = part.strip_prefix(prefix) {
            let choice = if choice.contains('_') {
                choice.to_string()
            } else {
                snake_case(choice)
            };
            return Ok(choice
                .to_ascii_lowercase()
                .trim_start_matches('_')
                .to_string());
        }
    }
    if part.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') && !part.is_empty() {
        return Ok(part.to_string());
    }
    Err(format!("cannot read `{part}` as a value"))
}

#[test]
fn stated_defaults_are_read_in_every_form_the_comments_use() {
    for (text, default) in [
        ("Limit on connecting; default 10000. More.", Some("10000")),
        ("Default 10 s; from 1 ms.", Some("10 s")),
        (
            "Random extra: from 0 to 1; default 0.5. NaN is refused.",
            Some("0.5"),
        ),
        (
            "The delay (default 1 s) and the cap (default 30 s); each.",
            Some("1 s and 30 s"),
        ),
        (
            "In milliseconds (default 500 and 8000).",
            Some("500 and 8000"),
        ),
        ("Sets the method: `GET` by default; `POST`.", Some("`GET`")),
        ("Delivers comments. Off by default.", Some("Off")),
        ("By default (false) they are final.", Some("false")),
        ("Turns it on (true, the default) or off.", Some("true")),
        (
            "0 (the default) takes the system's default (2 MiB).",
            Some("0"),
        ),
        (
            "`SSELINK_OVERFLOW_BLOCK` (the default), or another.",
            Some("`SSELINK_OVERFLOW_BLOCK`"),
        ),
        ("Default: every type.", Some("every type")),
        ("Default [`Overflow::Block`].", Some("[`Overflow::Block`]")),
        (
            "Where it sends: by default the stream URL without `/stream`.",
            Some("the stream URL without `/stream`"),
        ),
        ("Appends a query parameter; the defaults of the API.", None),
    ] {
        assert_eq!(stated_default(text).as_deref(), default, "{text}");
    }
    for (stated, truth, bare_ms, value) in [
        ("10000", "10000 ms", true, "10000 ms"),
        ("1 s, 30 s", "1000 ms, 30000 ms", false, "1000 ms, 30000 ms"),
        ("500 and 8000", "500 ms, 8000 ms", true, "500 ms, 8000 ms"),
        ("0 (never)", "0 ms", false, "0 ms"),
        ("0 (system default, 2 MiB)", "0 B", false, "0 B"),
        ("16 MiB", "16777216 B", false, "16777216 B"),
        ("`SSELINK_JITTER_SHAPE_ADD`", "add", true, "add"),
        ("OverflowDropOldest", "drop_oldest", false, "drop_oldest"),
        (
            "[`Overflow::DropNewest`]",
            "drop_newest",
            false,
            "drop_newest",
        ),
        ("Off", "off", false, "off"),
        ("`no_proxy`, `NO_PROXY`", "unset", false, "unset"),
        ("`GET`", "GET", false, "GET"),
    ] {
        assert_eq!(
            normalize(stated, truth, bare_ms).as_deref(),
            Ok(value),
            "{stated}"
        );
    }
    // A duration without its unit is milliseconds only where C says so.
    assert_ne!(normalize("45000", "45000 ms", false).unwrap(), "45000 ms");
}

#[test]
fn every_documented_default_is_the_default() {
    let truth: BTreeMap<String, String> = Stream::builder("http://127.0.0.1/")
        .option_values()
        .into_iter()
        .map(|(name, value)| (name.to_string(), value))
        .collect();
    let names: BTreeSet<String> = truth.keys().cloned().collect();
    assert_eq!(
        (
            missing(&names, &rust_setters()),
            missing(&rust_setters(), &names)
        ),
        (vec![], vec![]),
        "(setters missing in Builder::option_values, values that are no setter)"
    );
    let mut wrong = Vec::new();
    for column in columns() {
        for (option, value) in &truth {
            let Some(stated) = column.stated.get(option) else {
                wrong.push(format!("{}: no option {option}", column.name));
                continue;
            };
            match stated {
                None if value == "unset" => {}
                None => wrong.push(format!(
                    "{}: {option} states no default; it is {value}",
                    column.name
                )),
                Some(text) => match normalize(text, value, column.bare_ms) {
                    Ok(read) if &read == value => {}
                    Ok(read) => wrong.push(format!(
                        "{}: {option} says \"{text}\" ({read}); the default is {value}",
                        column.name
                    )),
                    Err(why) => wrong.push(format!("{}: {option}: {why}", column.name)),
                },
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "defaults that differ from Stream::builder's:\n{}",
        wrong.join("\n")
    );
}
