//! The fuzz targets' corpus, run as plain tests: every file under
//! `fuzz/corpus/<target>/` goes through the checks its target makes, so
//! that the seeds and what the fuzzer once found stay fixed.

use std::path::Path;

#[allow(unreachable_pub, dead_code)]
#[path = "../../fuzz/src/checks.rs"]
mod checks;

/// The checks of one fuzz target.
type Check = fn(&[u8]);

#[test]
fn every_corpus_file_passes_its_target_s_checks() {
    let corpus = Path::new(env!("CARGO_MANIFEST_DIR")).join("../fuzz/corpus");
    let targets: [(&str, Check); 3] = [
        ("log_uri_parse", checks::log_uri_parse),
        ("log_uri_generator", checks::log_uri_generator),
        ("validate_id", checks::validate_id),
    ];
    for (target, check) in targets {
        let mut files: Vec<_> = std::fs::read_dir(corpus.join(target))
            .unwrap()
            .map(|entry| entry.unwrap().path())
            .collect();
        files.sort();
        assert!(files.len() >= 5, "{target}: a seed corpus");
        for file in files {
            let data = std::fs::read(&file).unwrap();
            let outcome = std::panic::catch_unwind(|| check(&data));
            assert!(
                outcome.is_ok(),
                "{target}: {} fails its checks",
                file.display()
            );
        }
    }
}
