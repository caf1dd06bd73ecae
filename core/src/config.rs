//! `litestream.yml`: the configuration model, parsing and validation (pure: environment, working directory and home directory are passed in).
