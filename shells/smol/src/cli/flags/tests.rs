//! One test per Go `flag` rule.

use super::*;

fn restore_flags() -> FlagSet {
    let mut fs = FlagSet::new();
    fs.string("config", "", "config `path`")
        .bool("no-expand-env", false, "do not expand env vars in config")
        .string("o", "", "output path")
        .int("parallelism", 8, "number of parallel downloads")
        .uint("n", 0, "count")
        .duration(
            "follow-interval",
            Duration::from_secs(1),
            "polling interval for follow mode",
        )
        .bool("f", false, "follow mode")
        .string("integrity-check", "none", "none, quick or full");
    fs
}

#[test]
fn one_or_two_dashes_are_equivalent() {
    let mut fs = restore_flags();
    let rest = fs
        .parse(&["--config", "/etc/a.yml", "-no-expand-env", "db"])
        .unwrap();
    assert_eq!(rest, vec!["db"]);
    assert_eq!(fs.get_string("config"), "/etc/a.yml");
    assert!(fs.get_bool("no-expand-env"));
    assert!(fs.is_set("config") && !fs.is_set("o"));
}

#[test]
fn value_forms() {
    let mut fs = restore_flags();
    fs.parse(&[
        "-o=out.db",
        "--parallelism=0x10",
        "-follow-interval",
        "250ms",
        "-n",
        "7",
    ])
    .unwrap();
    assert_eq!(fs.get_string("o"), "out.db");
    assert_eq!(fs.get_int("parallelism"), 16);
    assert_eq!(
        fs.get_duration("follow-interval"),
        Duration::from_millis(250)
    );
    assert_eq!(fs.get_uint("n"), 7);
    let mut fs = restore_flags();
    fs.parse(&["-o", "-weird-but-a-value"]).unwrap();
    assert_eq!(fs.get_string("o"), "-weird-but-a-value");
    let mut fs = restore_flags();
    fs.parse(&["-o="]).unwrap();
    assert_eq!((fs.get_string("o"), fs.is_set("o")), ("", true));
}

#[test]
fn defaults_hold_when_not_given() {
    let mut fs = restore_flags();
    assert!(fs.parse::<&str>(&[]).unwrap().is_empty());
    assert_eq!(fs.get_int("parallelism"), 8);
    assert_eq!(fs.get_duration("follow-interval"), Duration::from_secs(1));
    assert_eq!(fs.get_string("integrity-check"), "none");
}

#[test]
fn bools_take_no_separate_value() {
    let mut fs = restore_flags();
    let rest = fs.parse(&["-f", "false", "x"]).unwrap();
    assert!(fs.get_bool("f"));
    assert_eq!(rest, vec!["false", "x"]);
    for (arg, want) in [
        ("-f=false", false),
        ("-f=0", false),
        ("-f=F", false),
        ("-f=T", true),
        ("-f=1", true),
        ("--f=TRUE", true),
    ] {
        let mut fs = restore_flags();
        fs.parse(&[arg]).unwrap();
        assert_eq!(fs.get_bool("f"), want, "{arg}");
    }
    let mut fs = restore_flags();
    let e = fs.parse(&["-f=yes"]).unwrap_err();
    assert_eq!(
        e.to_string(),
        "invalid boolean value \"yes\" for -f: parse error"
    );
}

#[test]
fn parsing_stops_at_first_positional_and_double_dash() {
    let mut fs = restore_flags();
    let rest = fs.parse(&["db", "-o", "x"]).unwrap();
    assert_eq!(rest, vec!["db", "-o", "x"]);
    assert!(!fs.is_set("o"));
    let mut fs = restore_flags();
    assert_eq!(fs.parse(&["-f", "--", "-o", "x"]).unwrap(), vec!["-o", "x"]);
    let mut fs = restore_flags();
    assert_eq!(fs.parse(&["-", "-f"]).unwrap(), vec!["-", "-f"]);
}

#[test]
fn help_is_reported_not_an_error_message() {
    for arg in ["-h", "-help", "--help", "--h", "-help=1"] {
        let mut fs = restore_flags();
        assert_eq!(fs.parse(&[arg]), Err(FlagError::Help), "{arg}");
    }
}

#[test]
fn go_error_messages() {
    let err = |args: &[&str]| restore_flags().parse(args).unwrap_err().to_string();
    assert_eq!(err(&["-x"]), "flag provided but not defined: -x");
    assert_eq!(err(&["--nope=1"]), "flag provided but not defined: -nope");
    assert_eq!(
        err(&["-parallelism", "x"]),
        "invalid value \"x\" for flag -parallelism: parse error"
    );
    assert_eq!(
        err(&["-parallelism=99999999999999999999"]),
        "invalid value \"99999999999999999999\" for flag -parallelism: value out of range"
    );
    assert_eq!(
        err(&["-n=-1"]),
        "invalid value \"-1\" for flag -n: parse error"
    );
    assert_eq!(
        err(&["-follow-interval", "1d"]),
        "invalid value \"1d\" for flag -follow-interval: parse error"
    );
    assert_eq!(err(&["-o"]), "flag needs an argument: -o");
    assert_eq!(err(&["---o"]), "bad flag syntax: ---o");
    assert_eq!(err(&["-=x"]), "bad flag syntax: -=x");
}

#[test]
fn integer_syntax_like_strconv() {
    assert_eq!(parse_int("0o17"), Ok(15));
    assert_eq!(parse_int("017"), Ok(15));
    assert_eq!(parse_int("0b101"), Ok(5));
    assert_eq!(parse_int("-42"), Ok(-42));
    assert_eq!(parse_int("0x_1F"), Ok(31));
    assert_eq!(parse_int("0_17"), Ok(15));
    assert_eq!(parse_int("0x_"), Err("parse error"));
    assert_eq!(parse_int("1_000"), Err("parse error"));
    assert_eq!(parse_int("08"), Err("parse error"));
    assert_eq!(parse_bool("yes"), None);
}

#[test]
fn print_defaults_like_go() {
    let fs = restore_flags();
    let want = "  -config path\n    \tconfig path\n\
                \x20 -f\tfollow mode\n\
                \x20 -follow-interval duration\n    \tpolling interval for follow mode (default 1s)\n\
                \x20 -integrity-check string\n    \tnone, quick or full (default \"none\")\n\
                \x20 -n uint\n    \tcount\n\
                \x20 -no-expand-env\n    \tdo not expand env vars in config\n\
                \x20 -o string\n    \toutput path\n\
                \x20 -parallelism int\n    \tnumber of parallel downloads (default 8)\n";
    assert_eq!(fs.defaults_text(), want);
}
