//! Replays every input the fuzzers found (`fuzz/regressions/<target>/*`) and a few hostile
//! inputs written by hand, through the same entry points the fuzz targets use.

mod support;

use cargo_fitness::fuzzing::TARGETS;

#[test]
fn every_saved_input_runs_without_a_panic() {
    let root = support::repo().join("fuzz/regressions");
    let mut replayed = 0;
    for (name, target) in TARGETS {
        let dir = root.join(name);
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries.filter_map(Result::ok) {
            let data = std::fs::read(entry.path()).expect("read a saved input");
            target(&data);
            replayed += 1;
        }
    }
    assert!(replayed > 0, "no saved inputs under {}", root.display());
}

#[test]
fn hand_written_hostile_inputs_run_without_a_panic() {
    let inputs: &[&[u8]] = &[
        b"",
        b"\xef\xbb\xbf",
        b"\r\n\r\n",
        b"FROM\\\n",
        b"RUN <<EOF\nnever closed",
        b"a: &a [*a]",
        b"{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{",
        b"// fitness: ignore[",
        b"# fitness: ignore-file[,,,] ",
        b"[rules]\nx = { level = 3 }",
        b"[[ignore]]\npaths = [\"[\"]\nreason = \"r\"",
        b"fn main() { let x = r#\"unterminated",
        b"'\\u{",
        b"\x00\x01\x02",
    ];
    for input in inputs {
        for (_, target) in TARGETS {
            target(input);
        }
    }
}
