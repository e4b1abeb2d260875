//! include/sselink.h is generated from capi/src/ by cbindgen and committed.
//! This test regenerates it and fails on any difference; run it with
//! SSELINK_BLESS=1 to write the new header instead. The version macros come
//! from Cargo.toml and capi/abi/VERSION, so they cannot drift from either.

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
    let mut generated = Vec::new();
    cbindgen::Builder::new()
        .with_crate(crate_dir)
        .with_config(config)
        .with_after_include(versions)
        .generate()
        .expect("cbindgen failed")
        .write(&mut generated);
    let generated = String::from_utf8(generated).unwrap();
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
