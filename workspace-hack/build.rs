// A build script makes cargo consider the build-dependencies of
// Cargo.toml, so build scripts and proc macros get the same features too.
fn main() {}
