//! Anju's domain: the federation's concepts as types and pure rules.
//!
//! Nothing here touches a file, a clock, the network or a database: callers pass in
//! everything a rule needs (today's date, the policy rows), so every rule can be tested
//! exhaustively and every decision explained. See `DESIGN.md` §1 and the glossary for names.

pub mod application;
pub mod audit;
pub mod calendar;
pub mod cert_rules;
pub mod certificate;
pub mod credit_code;
pub mod crosscheck;
pub mod data_table;
pub mod employment;
pub mod id_number;
pub mod indicator;
pub mod jobs;
pub mod levy;
pub mod mask;
pub mod money;
pub mod month;
pub mod needs;
pub mod password;
pub mod person;
pub mod programme;
pub mod provider;
pub mod region;
pub mod role;
pub mod session;
pub mod star_rating;
pub mod subsidy;
pub mod survey;
pub mod time;
pub mod training;
pub mod visit;

pub use region::{Level, Region, RegionCode, RegionError, RegionTable};
pub use role::Role;
