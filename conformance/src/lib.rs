//! Documented vendor examples as data, replayed against an in-process server (filled by the conformance issue).
