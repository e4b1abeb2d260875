//! Gives the shared library its SONAME (Linux and the BSDs) or install name
//! (macOS), carrying the C ABI version from `capi/abi/VERSION`: a program
//! linked against `libsselink.so.0` loads any later library of ABI 0 and
//! refuses one of ABI 1. The version goes up with every incompatible change
//! to the C interface; `capi/abi/check.sh` fails until it is acknowledged.

use std::env;

fn main() {
    println!("cargo:rerun-if-changed=abi/VERSION");
    let version = std::fs::read_to_string("abi/VERSION").expect("capi/abi/VERSION");
    let abi: u32 = version
        .trim()
        .parse()
        .expect("capi/abi/VERSION holds one number");
    println!("cargo:rustc-env=SSELINK_ABI_VERSION={abi}");
    match env::var("CARGO_CFG_TARGET_OS").as_deref() {
        Ok("macos" | "ios") => {
            println!("cargo:rustc-cdylib-link-arg=-Wl,-install_name,@rpath/libsselink.{abi}.dylib")
        }
        Ok("windows") => {}
        _ => println!("cargo:rustc-cdylib-link-arg=-Wl,-soname,libsselink.so.{abi}"),
    }
}
