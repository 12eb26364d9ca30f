//! The `teleport-jwt` command-line tool: everything is in [`teleport_jwt_cli`], which the
//! Python wheel runs too.

fn main() {
    // A bug must still be one line, not a backtrace: `run` catches the panic and says so.
    std::panic::set_hook(Box::new(|_| {}));
    let code = teleport_jwt_cli::run(
        std::env::args_os().skip(1),
        std::io::stdout().lock(),
        std::io::stderr().lock(),
    );
    std::process::exit(code);
}
