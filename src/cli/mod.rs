//! The command line: argument parsing, dispatch, and the mapping of errors to messages and exit codes.

pub fn main() -> i32 {
    0
}
