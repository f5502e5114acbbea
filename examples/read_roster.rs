//! Benchmark harness: read a 花名册 with `youfu::input::read_roster` (every field checked, as every command
//! reads it) and print how many recipients came out, or how many problems were found. Time it against
//! `floor_read` (the csv crate alone) to see what the checking costs.
//!
//! With `--dump` every recipient (as `Debug`) and every problem is printed too, to compare two builds.
//!
//! ```text
//! cargo build --release --example read_roster
//! /usr/bin/time -f "%e s %U user %S sys %M KB" target/release/examples/read_roster bench/data/roster-1000000.csv
//! ```

use youfu::domain::Categories;

fn main() -> anyhow::Result<()> {
    let path =
        std::env::args().nth(1).ok_or_else(|| anyhow::anyhow!("usage: read_roster ROSTER.csv|ROSTER.xlsx [--dump]"))?;
    let dump = std::env::args().nth(2).as_deref() == Some("--dump");
    match youfu::input::read_roster(std::path::Path::new(&path), &Categories::default()) {
        Ok(recipients) => {
            println!("{} recipients", recipients.len());
            for r in recipients.iter().filter(|_| dump) {
                println!("{r:?} {:?}", r.attrs.iter().collect::<Vec<_>>());
            }
        }
        Err(problems) => {
            println!("{} problems", problems.0.len());
            for p in problems.0.iter().filter(|_| dump) {
                println!("{p}");
            }
        }
    }
    Ok(())
}
