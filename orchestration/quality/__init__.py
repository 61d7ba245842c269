"""Data quality shared by the domains: running Great Expectations suites inside asset checks."""
