//! Every option exists in Rust, in C, in Go and in Swift, and has a row in
//! docs/options.md: this test compares the five lists and names what is
//! missing where. (The Swift package's own parity test also checks each
//! Swift property and its default against the docs.)

use std::collections::BTreeSet;
use std::path::Path;

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
