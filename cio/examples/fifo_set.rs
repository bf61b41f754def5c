//! Makes a FIFO set, shows its paths, and sends a line from a real process
//! through its stdout FIFO.
//!
//! ```text
//! cargo run --example fifo_set
//! ```

#![allow(clippy::print_stdout)]

use std::process::Command;

use futures::io::AsyncReadExt;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    // containerd's clients use /run/containerd/fifo; a private root here.
    let root = std::env::temp_dir().join("cio-example");
    let mut fifos = cio::new_fifo_set_in_dir(&root, "demo", false)?;
    println!("stdin:  {}", fifos.stdin);
    println!("stdout: {}", fifos.stdout);
    println!("stderr: {}", fifos.stderr);

    // Open the read end before anyone writes, as a client does before the
    // shim starts the task.
    let mut stdout = cio::FifoReader::open(&fifos.stdout)?;

    // A process opens the write end with a plain open(2), as the shim does.
    let mut writer = Command::new("sh")
        .arg("-c")
        .arg(r#"echo "hello from pid $$" > "$1""#)
        .arg("sh")
        .arg(&fifos.stdout)
        .spawn()?;

    let mut line = String::new();
    futures::executor::block_on(stdout.read_to_string(&mut line))?;
    writer.wait()?;
    print!("read:   {line}");

    drop(stdout);
    fifos.close()?;
    println!("closed: the set's directory is gone");
    Ok(())
}
