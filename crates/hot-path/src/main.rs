//! `hot-path --op create|webhook|sign|login --iterations N [--wall]`
//!
//! Sets the op up (one run checked in full), then runs it N more times. Under
//! `valgrind --tool=callgrind`, the instructions of a run with N = 1000 less those of a run with
//! N = 0 are the instructions of 1000 ops (`scripts/instructions`). `--wall` also times each run
//! and prints the median (the timing itself adds instructions: leave it off under callgrind).

use std::{hint::black_box, process::ExitCode, time::Instant};

use hot_path::{Op, Prepared};

const USAGE: &str = "usage: hot-path --op create|webhook|sign|login --iterations N [--wall]";

struct Args {
    op: Op,
    iterations: u64,
    wall: bool,
}

fn args() -> Result<Args, String> {
    let mut op = None;
    let mut iterations = None;
    let mut wall = false;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--op" => {
                let raw = args.next().ok_or(USAGE)?;
                op = Some(Op::parse(&raw).ok_or_else(|| format!("unknown op {raw}; {USAGE}"))?);
            }
            "--iterations" => {
                let raw = args.next().ok_or(USAGE)?;
                iterations = Some(
                    raw.parse()
                        .map_err(|_| format!("--iterations {raw}: {USAGE}"))?,
                );
            }
            "--wall" => wall = true,
            _ => return Err(format!("unknown argument {arg}; {USAGE}")),
        }
    }
    Ok(Args {
        op: op.ok_or(USAGE)?,
        iterations: iterations.ok_or(USAGE)?,
        wall,
    })
}

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("hot-path: {e}");
            ExitCode::FAILURE
        }
    }
}

fn run() -> Result<(), String> {
    let Args {
        op,
        iterations,
        wall,
    } = args()?;
    let prepared = Prepared::new(op)?;
    let mut times = Vec::new();
    for _ in 0..iterations {
        if wall {
            let started = Instant::now();
            black_box(&prepared).run()?;
            times.push(started.elapsed());
        } else {
            black_box(&prepared).run()?;
        }
    }
    print!("op={} iterations={iterations}", op.name());
    if !times.is_empty() {
        times.sort();
        let median = times[times.len() / 2];
        let (min, max) = (times[0], times[times.len() - 1]);
        print!(
            " wall_median_us={:.1} wall_min_us={:.1} wall_max_us={:.1}",
            median.as_secs_f64() * 1e6,
            min.as_secs_f64() * 1e6,
            max.as_secs_f64() * 1e6
        );
    }
    println!();
    Ok(())
}
