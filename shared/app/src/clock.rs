//! The clock the schedule reads. In production it is the machine's; to rehearse month-end in
//! staging (play a month, its close, the refunds after it) `mlm serve`, `mlm close-period` and
//! `mlm reconcile` accept `--now RFC3339` or `MLM_NOW`, which fixes "now" at that instant. The
//! Lambda functions refuse `MLM_NOW` at start: a deployed stack only ever runs on real time.

use mlm_engine::period::Timestamp;

/// The variable that overrides the clock of the local commands.
pub const NOW_VAR: &str = "MLM_NOW";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Clock {
    System,
    /// Staging rehearsal: "now" is this instant.
    Fixed(Timestamp),
}

impl Clock {
    /// `--now` if given, else `MLM_NOW` if set (and not blank), else the machine's clock. The
    /// error names where the bad value came from.
    pub fn resolve(arg: Option<&str>, env: Option<String>) -> Result<Clock, String> {
        let (text, from) = match (arg, env.as_deref().map(str::trim).filter(|v| !v.is_empty())) {
            (Some(a), _) => (a.to_string(), "--now"),
            (None, Some(e)) => (e.to_string(), NOW_VAR),
            (None, None) => return Ok(Clock::System),
        };
        Timestamp::parse(&text).map(Clock::Fixed).map_err(|e| format!("{from}: {e} (e.g. 2026-12-01T06:00:00Z)"))
    }

    /// From `--now` and the process environment.
    pub fn from_env(arg: Option<&str>) -> Result<Clock, String> {
        Clock::resolve(arg, std::env::var(NOW_VAR).ok())
    }

    pub fn now(&self) -> Timestamp {
        match self {
            Clock::System => Timestamp(crate::http::system_now() * 1_000_000_000),
            Clock::Fixed(t) => *t,
        }
    }

    /// Whether this is an override (logged, so a rehearsal is never mistaken for production).
    pub fn is_fixed(&self) -> bool {
        matches!(self, Clock::Fixed(_))
    }
}

/// For the Lambda functions: an `MLM_NOW` in a deployed function's environment is refused, so
/// a staging override copied into a template never moves production's clock.
pub fn refuse_override(lookup: &dyn Fn(&str) -> Option<String>) -> Result<(), String> {
    match lookup(NOW_VAR).filter(|v| !v.trim().is_empty()) {
        Some(v) => Err(format!(
            "{NOW_VAR}={v:?}: the clock override is for local rehearsals (`mlm serve --now`) and is refused in \
             Lambda; remove it from the function's environment"
        )),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_argument_wins_over_the_environment_and_bad_values_name_their_source() {
        let t = |s: &str| Timestamp::parse(s).unwrap();
        assert_eq!(Clock::resolve(None, None), Ok(Clock::System));
        assert_eq!(Clock::resolve(None, Some(" ".into())), Ok(Clock::System));
        assert_eq!(
            Clock::resolve(None, Some("2026-12-01T06:00:00Z".into())),
            Ok(Clock::Fixed(t("2026-12-01T06:00:00Z")))
        );
        assert_eq!(
            Clock::resolve(Some("2027-01-01T00:00:00Z"), Some("2026-12-01T06:00:00Z".into())),
            Ok(Clock::Fixed(t("2027-01-01T00:00:00Z")))
        );
        assert!(Clock::resolve(Some("tomorrow"), None).unwrap_err().starts_with("--now: "));
        assert!(Clock::resolve(None, Some("2026-12-01".into())).unwrap_err().starts_with("MLM_NOW: "));
        assert_eq!(Clock::Fixed(t("2026-12-01T06:00:00Z")).now(), t("2026-12-01T06:00:00Z"));
        let real = Clock::System.now().0;
        assert!(real > t("2026-01-01T00:00:00Z").0);
    }

    #[test]
    fn lambda_functions_refuse_the_override() {
        assert!(refuse_override(&|_| None).is_ok());
        assert!(refuse_override(&|_| Some(String::new())).is_ok());
        let e = refuse_override(&|v| (v == NOW_VAR).then(|| "2026-12-01T00:00:00Z".into())).unwrap_err();
        assert!(e.contains("refused in Lambda"), "{e}");
    }
}
