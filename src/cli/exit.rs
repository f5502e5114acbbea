//! Exit codes. Stable: scripts in cron rely on them. Documented in the README.

/// 成功.
pub const OK: i32 = 0;
/// 程序内部错误（请报告）.
pub const INTERNAL: i32 = 1;
/// 命令行参数错误.
pub const USAGE: i32 = 2;
/// 输入数据有误（花名册、标准表）：已列出每个问题，未写出任何文件.
pub const INVALID_DATA: i32 = 3;
/// 配置文件有误.
pub const CONFIG: i32 = 4;
/// 读写文件失败（输入文件不存在、输出目录不可写等）.
pub const IO: i32 = 5;
