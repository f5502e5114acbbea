//! The 工作总结 statistics paragraphs: number formatting as Chinese official reports write it (万元 with one
//! decimal, "1.3万余", "3500多万", percentages, month ranges, Chinese ordinals, 人民币大写) and the tera filters
//! that expose it. Later this module will also hold the figures context (ledger totals and the report writer's
//! named figures) and the report templates.

pub mod filters;
pub mod rmb;
