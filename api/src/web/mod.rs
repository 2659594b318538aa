//! HTML dashboards: the page router and the server-drawn charts they embed.

pub mod charts;
