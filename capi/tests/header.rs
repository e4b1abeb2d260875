//! include/sselink.h is generated from capi/src/ by cbindgen and committed.
//! This test regenerates it and fails on any difference; run it with
//! SSELINK_BLESS=1 to write the new header instead. The version macros come
//! from Cargo.toml and capi/abi/VERSION, so they cannot drift from either.
//!
//! Two things cbindgen cannot write are added here (see capi/cbindgen.toml):
//! `SSELINK_OPEN_ENUM` on every enum, and the `pragma clang diagnostic pop`
//! that closes the push of the nullability block inside the include guard.

use std::path::Path;

#[test]
fn committed_header_matches_the_code() {
    let crate_dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    let config =
        cbindgen::Config::from_file(crate_dir.join("cbindgen.toml")).expect("capi/cbindgen.toml");
    let versions = format!(
        "\n\
         // The release this header belongs to; sselink_version() gives the\n\
         // library's at run time.\n\
         #define SSELINK_VERSION_MAJOR {}\n\
         #define SSELINK_VERSION_MINOR {}\n\
         #define SSELINK_VERSION_PATCH {}\n\
         \n\
         // The C ABI version: the number in the shared library's name\n\
         // (libsselink.so.{abi}, libsselink.{abi}.dylib). It goes up with every incompatible\n\
         // change to this interface, whatever the release number does.\n\
         #define SSELINK_ABI_VERSION {abi}",
        env!("CARGO_PKG_VERSION_MAJOR"),
        env!("CARGO_PKG_VERSION_MINOR"),
        env!("CARGO_PKG_VERSION_PATCH"),
        abi = env!("SSELINK_ABI_VERSION"),
    );
    let after_includes = format!(
        "{}{versions}",
        config.after_includes.clone().unwrap_or_default()
    );
    let mut generated = Vec::new();
    cbindgen::Builder::new()
        .with_crate(crate_dir)
        .with_config(config)
        .with_after_include(after_includes)
        .generate()
        .expect("cbindgen failed")
        .write(&mut generated);
    let generated = swift_ready(&String::from_utf8(generated).unwrap());
    let path = crate_dir.join("../include/sselink.h");
    if std::env::var_os("SSELINK_BLESS").is_some() {
        std::fs::write(&path, &generated).unwrap();
        return;
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == generated,
        "include/sselink.h is out of date: run \
         `SSELINK_BLESS=1 cargo test -p sselink-capi --test header` and commit it"
    );
}

/// Marks every enum open and closes the clang diagnostic push inside the
/// include guard; panics if the text cbindgen wrote has changed shape, so a
/// new cbindgen cannot silently leave an enum or the push unmatched.
fn swift_ready(header: &str) -> String {
    let enums = header.matches("typedef enum sselink_").count();
    assert!(
        enums >= 6,
        "expected the enums as `typedef enum sselink_..`"
    );
    let header = header.replace(
        "typedef enum sselink_",
        "typedef enum SSELINK_OPEN_ENUM sselink_",
    );
    let guard_end = "\n#endif  /* SSELINK_H */";
    assert_eq!(
        header.matches(guard_end).count(),
        1,
        "one include guard end"
    );
    assert_eq!(header.matches("#pragma clang diagnostic push").count(), 1);
    header.replace(
        guard_end,
        "\n#if defined(__clang__)\n#pragma clang diagnostic pop\n#endif\n#endif  /* SSELINK_H */",
    )
}

#[test]
fn every_pointer_and_enum_is_annotated() {
    let header =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("../include/sselink.h"))
            .unwrap();
    let code: Vec<&str> = header
        .lines()
        .filter(|line| !line.trim_start().starts_with("//") && !line.starts_with(" *"))
        .collect();
    for line in &code {
        // Every `*` of a declaration is followed by the nullability macro.
        for (i, _) in line.match_indices('*') {
            let rest = &line[i + 1..];
            let rest = rest.strip_prefix("const ").unwrap_or(rest);
            assert!(
                rest.starts_with("SSELINK_NULLABLE")
                    || line.starts_with("/*")
                    || line.contains("*/"),
                "a pointer without nullability: {line}"
            );
        }
        assert!(
            !line.starts_with("typedef enum ")
                || line.starts_with("typedef enum SSELINK_OPEN_ENUM "),
            "an enum Swift would import as a struct: {line}"
        );
    }
}
