//! certgate-lab: deliberately broken TLS endpoints for testing API clients. Built in issue 6.
