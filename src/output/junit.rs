//! JUnit XML: one test suite per file with findings, one failing test case per finding, so CI
//! systems that only read test reports still show them.

use std::io::{self, Write};

use quick_junit::{NonSuccessKind, Report as JunitReport, TestCase, TestCaseStatus, TestSuite};

use crate::engine::Report;

pub fn render(report: &Report, out: &mut dyn Write) -> io::Result<()> {
    let mut junit = JunitReport::new("cargo-fitness");
    let mut current: Option<TestSuite> = None;
    for finding in &report.findings {
        let path = finding.location.path.to_string_lossy().replace('\\', "/");
        if current
            .as_ref()
            .is_none_or(|suite| suite.name.as_str() != path)
        {
            if let Some(suite) = current.take() {
                junit.add_test_suite(suite);
            }
            current = Some(TestSuite::new(path.clone()));
        }
        let start = finding.location.start;
        let mut status = TestCaseStatus::non_success(NonSuccessKind::Failure);
        status.set_message(finding.message.clone());
        status.set_type(finding.level.as_str());
        let mut description = format!(
            "{path}:{}:{}: {}",
            start.line, start.column, finding.message
        );
        for text in [&finding.help, &finding.note].into_iter().flatten() {
            description.push('\n');
            description.push_str(text);
        }
        status.set_description(description);
        let mut case = TestCase::new(
            format!("{} at {path}:{}:{}", finding.rule, start.line, start.column),
            status,
        );
        case.set_classname(format!("fitness.{}", finding.rule));
        if let Some(suite) = current.as_mut() {
            suite.add_test_case(case);
        }
    }
    if let Some(suite) = current.take() {
        junit.add_test_suite(suite);
    }
    if report.findings.is_empty() {
        let mut suite = TestSuite::new("cargo-fitness");
        suite.add_test_case(TestCase::new("no findings", TestCaseStatus::success()));
        junit.add_test_suite(suite);
    }
    let xml = junit.to_string().map_err(io::Error::other)?;
    writeln!(out, "{xml}")
}
