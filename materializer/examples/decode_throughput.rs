//! Decoding throughput of `bookstore replay`: decodes a `kcat -C -J` dump (e.g. `bench/debezium_dump.py 66000 DIR
//! --dump`) with the replay's decoding function, the generic way (the reference) and the fast way, and prints records
//! per second and CPU seconds per 100 000 records for each. No database: decoding only.
//!
//! Usage: `decode_throughput DUMP [rounds] [generic|fast]` (release build; the last argument runs only one way, for
//! a profiler). The dump is read into memory and checked to decode the same both ways, then decoded in chunks of
//! 5000 lines on this one thread, each way once per round, alternating. Reported: the median round and the fastest
//! (on a busy machine the better estimate of the cost itself), CPU time being this thread's
//! (`/proc/thread-self/schedstat`).

use std::io::BufRead as _;
use std::path::Path;
use std::time::{Duration, Instant};

use bookstore_materializer::TopicMap;
use bookstore_materializer::replay::{Decoded, Decoder, decode_lines};

/// Lines per chunk, as the replay reads them.
const CHUNK: usize = 5000;

/// CPU time of the calling thread so far.
fn thread_cpu() -> anyhow::Result<Duration> {
    let stat = std::fs::read_to_string("/proc/thread-self/schedstat")?;
    let nanos: u64 = stat.split_whitespace().next().unwrap_or_default().parse()?;
    Ok(Duration::from_nanos(nanos))
}

/// Decodes every chunk; returns the CPU and wall time spent decoding (dropping the results is not counted).
fn run(
    file: &Path,
    topics: &TopicMap,
    chunks: &[Vec<(u64, String)>],
    decoder: Decoder,
) -> anyhow::Result<[Duration; 2]> {
    let mut kept: Vec<Decoded> = Vec::with_capacity(chunks.len());
    let (cpu, wall) = (thread_cpu()?, Instant::now());
    for chunk in chunks {
        kept.push(decode_lines(file, topics, chunk, decoder));
    }
    let spent = [thread_cpu()? - cpu, wall.elapsed()];
    drop(kept);
    Ok(spent)
}

#[allow(clippy::print_stdout)] // the measurement is the output
fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let Some(dump) = args.get(1) else { anyhow::bail!("usage: decode_throughput DUMP [rounds] [generic|fast]") };
    let rounds: usize = args.get(2).and_then(|a| a.parse().ok()).unwrap_or(5).max(1);
    let only = args.get(3).map(String::as_str);
    let file = Path::new(dump);
    let mut lines = Vec::new();
    for (line_no, line) in (1..).zip(std::io::BufReader::new(std::fs::File::open(file)?).lines()) {
        let line = line?;
        if !line.trim().is_empty() {
            lines.push((line_no, line));
        }
    }
    let records = lines.len();
    let chunks: Vec<Vec<(u64, String)>> = lines.chunks(CHUNK).map(<[_]>::to_vec).collect();
    let topics = TopicMap::default();

    if only.is_none() {
        for chunk in &chunks {
            let fast = decode_lines(file, &topics, chunk, Decoder::Fast);
            anyhow::ensure!(fast == decode_lines(file, &topics, chunk, Decoder::Generic), "the two ways disagree");
        }
    }
    let ways = [("generic", Decoder::Generic), ("fast", Decoder::Fast)];
    let mut spent: [Vec<[Duration; 2]>; 2] = Default::default();
    for _ in 0..rounds {
        for (way, (name, decoder)) in ways.into_iter().enumerate() {
            if only.is_none_or(|only| only == name) {
                spent[way].push(run(file, &topics, &chunks, decoder)?);
            }
        }
    }
    println!("{records} records, {rounds} rounds; median round (fastest round):");
    let mut medians = [Duration::ZERO; 2];
    for (way, (name, _)) in ways.into_iter().enumerate() {
        if spent[way].is_empty() {
            continue;
        }
        spent[way].sort();
        let ([cpu, wall], [fastest, _]) = (spent[way][rounds / 2], spent[way][0]);
        medians[way] = cpu;
        let per_second = |cpu: Duration| records as f64 / cpu.as_secs_f64();
        let per_100k = |cpu: Duration| cpu.as_secs_f64() * 100_000.0 / records as f64;
        println!(
            "{name:>8}: {:>7.0} ({:>7.0}) records/s, {:.3} ({:.3}) CPU s per 100k records; median {:.3} s CPU, {:.3} s wall",
            per_second(cpu),
            per_second(fastest),
            per_100k(cpu),
            per_100k(fastest),
            cpu.as_secs_f64(),
            wall.as_secs_f64()
        );
    }
    if only.is_none() {
        println!(
            "CPU per record, generic / fast (medians): {:.2}x",
            medians[0].as_secs_f64() / medians[1].as_secs_f64()
        );
    }
    Ok(())
}
