//! Article extraction from raw HTML: bytes in, a structured article out. No I/O.
