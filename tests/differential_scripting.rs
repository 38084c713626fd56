//! Lua scripting compared byte for byte with redis-server, in RESP2 and RESP3: EVAL and
//! EVALSHA, the sandbox (globals, read-only tables), the `redis` API, error shapes and
//! positions, the conversions between replies and Lua values both ways, SCRIPT, and the
//! errors of each.

mod common;

use common::diff::{assert_same, Case};

/// A case from whole commands: each command is its words, taken as they are (scripts
/// contain spaces and backslashes).
fn case(name: &'static str, commands: &[&[&str]]) -> Case {
    Case {
        name,
        commands: commands
            .iter()
            .map(|c| (c.iter().map(|w| w.as_bytes().to_vec()).collect(), false))
            .collect(),
    }
}

/// `EVAL script 0`.
fn eval0(script: &'static str) -> [&'static str; 3] {
    ["EVAL", script, "0"]
}

fn sandbox() -> Case {
    let scripts: &[&str] = &[
        "local t={} for k,v in pairs(_G) do t[#t+1]=k..':'..type(v) end table.sort(t) return t",
        "local t={} for k,v in pairs(redis) do t[#t+1]=k..':'..type(v) end table.sort(t) return t",
        "return loadstring('return 1')()",
        "x=1",
        "return y",
        "return _G.x",
        "return rawget(_G,'zz')",
        "setmetatable(_G, {})",
        "local g = getmetatable(_G) g.__index = {}",
        "string.x = 1",
        "rawset(_G, 'a', 1)",
        "table.insert = nil",
        "redis.call = function() end",
        "return print",
        "return debug",
        "return type(newproxy)",
        "return _VERSION",
        "return tostring(1e15)..' '..tostring(0.1)..' '..tostring(1/3)",
        "return coroutine.running() == nil",
        "local t = {} t.x = 1 return t.x",
        "return string.rep()",
        "return {pcall(string.rep)}",
    ];
    Case {
        name: "sandbox",
        commands: scripts
            .iter()
            .map(|s| {
                (
                    eval0(s).iter().map(|w| w.as_bytes().to_vec()).collect(),
                    false,
                )
            })
            .collect(),
    }
}

fn errors() -> Case {
    let scripts: &[&str] = &[
        "return redis.call('nosuch')",
        "return redis.call('get')",
        "return redis.call('incr','x','y')",
        "redis.call('set','s','a') return redis.call('incr','s')",
        "redis.call('set','s','a') local x = redis.call('incr','s') return x",
        "return pcall(redis.call,'incr','s')",
        "return {pcall(redis.call,'incr','s')}",
        "return redis.pcall('incr','s')",
        "return redis.pcall('nosuch')",
        "local ok, e = pcall(redis.call, 'nosuch') return e",
        "return {err='x'}",
        "return {err='MYCODE some text'}",
        "return {err='line\\r\\nbreak'}",
        "error('boom')",
        "error({err='MY boom'})",
        // (error({}) crashes Redis 7.0.15: its message is read from a NULL string.)
        "error(42)",
        "error()",
        "local function f() error('in f') end f()",
        "local function f()\n\n  error('line 3')\nend\nf()",
        "\n\nreturn redis.call('nosuch')",
        "return redis.call()",
        "return redis.call({})",
        "return redis.call('get', {})",
        "return redis.pcall()",
        "return redis.sha1hex()",
        "return redis.error_reply(1)",
        "return redis.error_reply('My Error')",
        "return redis.error_reply('-E2 x')",
        "return redis.error_reply('NoSpace')",
        "return redis.status_reply()",
        "return redis.setresp(4)",
        "return redis.setresp()",
        "return redis.set_repl(7)",
        "return redis.set_repl()",
        "redis.log()",
        "redis.log('x', 'y')",
        "redis.log(9, 'y')",
        "return redis.call('blpop', 'nolist', 0)",
        "return redis.call('multi')",
        "return redis.call('eval', 'return 1', 0)",
        "return redis.acl_check_cmd('nosuch')",
        "return redis.acl_check_cmd()",
        "return {pcall(math.random, 0)}",
        "return math.random(0)",
        "return math.random(3, 1)",
        "return math.random(1, 2, 3)",
        "return math.random('x')",
        "return math.randomseed()",
        "return {pcall(error, {err='x'})}",
        "return {pcall(error, 'x')}",
        "syntax error here",
        "return 'unfinished",
    ];
    let mut commands: Vec<(Vec<Vec<u8>>, bool)> = scripts
        .iter()
        .map(|s| {
            (
                eval0(s).iter().map(|w| w.as_bytes().to_vec()).collect(),
                false,
            )
        })
        .collect();
    for c in [
        &["EVAL", "return 1"][..],
        &["EVAL", "return 1", "x"],
        &["EVAL", "return 1", "2", "a"],
        &["EVAL", "return 1", "-1"],
        &["EVALSHA", "abc", "0"],
        &["EVALSHA", "ffffffffffffffffffffffffffffffffffffffff", "0"],
        &["EVALSHA", "ffffffffffffffffffffffffffffffffffffffff", "x"],
        &["EVAL", "#!lua", "0"],
        &["EVAL", "#!lua\nreturn 1", "0"],
        &["EVAL", "#!lua flags=no-writes\nreturn 1", "0"],
        &[
            "EVAL",
            "#!lua flags=no-writes,allow-oom\nreturn redis.call('set','k','v')",
            "0",
        ],
        &["EVAL", "#!lua flags=bogus\nreturn 1", "0"],
        &["EVAL", "#!lua flags=\nreturn 1", "0"],
        &["EVAL", "#!lua name=x\nreturn 1", "0"],
        &["EVAL", "#!python\nreturn 1", "0"],
        &["EVAL", "#!lua \"unbalanced\nreturn 1", "0"],
        &["EVAL_RO", "return redis.call('set','k','v')", "0"],
        &["EVAL_RO", "return redis.call('get','k')", "1", "k"],
        &["EVAL_RO", "#!lua\nreturn 1", "0"],
        &["EVAL_RO", "return redis.call('publish','c','m')", "0"],
    ] {
        commands.push((c.iter().map(|w| w.as_bytes().to_vec()).collect(), false));
    }
    Case {
        name: "errors",
        commands,
    }
}

fn conversions() -> Case {
    case(
        "conversions",
        &[
            &["RPUSH", "l", "a", "b"],
            &["HSET", "h", "f", "v"],
            &["SET", "n", "10"],
            &eval0("return {1,2,nil,4}"),
            &eval0("return 3.99"),
            &eval0("return -3.99"),
            &eval0("return 1e300"),
            &eval0("return 0/0"),
            &eval0("return {ok='fine'}"),
            &eval0("return {ok='a\\r\\nb'}"),
            &eval0("return true"),
            &eval0("return false"),
            &eval0("return nil"),
            &eval0("return {true, false, 'x'}"),
            &eval0("return redis.call('ping')"),
            &eval0("return redis.call('get', 'nokey')"),
            &eval0("return redis.call('lrange', 'l', 0, -1)"),
            &eval0("return redis.call('hgetall', 'h')"),
            &eval0("return redis.call('incr', 'n')"),
            &eval0("return redis.call('set', 'x', 1.5)"),
            &eval0("return redis.call('get', 'x')"),
            &eval0("return redis.call('set', 'x', 3) and redis.call('get', 'x')"),
            &eval0("return redis.call('set', 'x', 0.1) and redis.call('get', 'x')"),
            &eval0("return type(redis.call('get', 'nokey'))"),
            &eval0("local r = redis.call('ping') return type(r) .. r.ok"),
            &eval0("return {1, 'a', {2, {3}}, true, false, 3.5}"),
            &eval0("return {double=3.5}"),
            &eval0("return {double='x'}"),
            &eval0("return {big_number='123'}"),
            &eval0("return {map={a=1}}"),
            &eval0("return {set={a=true}}"),
            &eval0("return {verbatim_string={format='txt', string='hi'}}"),
            &eval0("return {map={}, 1}"),
            &eval0("redis.setresp(3) return redis.call('hgetall','h')"),
            &eval0("redis.setresp(3) return redis.call('hgetall','nokey')"),
            &eval0("redis.setresp(3) return redis.call('get','nokey')"),
            &eval0("redis.setresp(3) return type(redis.call('get','nokey'))"),
            &eval0("redis.setresp(3) return redis.call('smembers','l')"),
            &eval0("redis.setresp(3) return {true, false}"),
            &eval0("redis.setresp(3) local d = redis.call('zscore', 'z', 'm') return tostring(d)"),
            &["ZADD", "z", "1.5", "m"],
            &eval0("redis.setresp(3) return redis.call('zscore', 'z', 'm')"),
            &eval0("redis.setresp(3) return redis.call('zscore', 'z', 'm').double"),
            &eval0("redis.setresp(3) return redis.call('zrange', 'z', 0, -1, 'withscores')"),
            &eval0("redis.setresp(2) return redis.call('zscore', 'z', 'm')"),
            &eval0("return redis.call('zscore', 'z', 'm')"),
            &eval0("local a = {}; local b = {a}; a[1] = b; return #a"),
        ],
    )
}

fn keys_args_and_cache() -> Case {
    let sha = "e0e1f9fabfc9d4800c877a703b823ac0578ff8db"; // sha1("return 1")
    case(
        "keys-args-cache",
        &[
            &[
                "EVAL",
                "return {KEYS[1], ARGV[1], ARGV[2], #KEYS, #ARGV}",
                "1",
                "k",
                "a",
                "b",
            ],
            &[
                "EVAL",
                "return redis.call('set', KEYS[1], ARGV[1])",
                "1",
                "k",
                "v",
            ],
            &["GET", "k"],
            &[
                "SCRIPT",
                "EXISTS",
                sha,
                "ffffffffffffffffffffffffffffffffffffffff",
            ],
            &["EVAL", "return 1", "0"],
            &[
                "SCRIPT",
                "EXISTS",
                sha,
                "E0E1F9FABFC9D4800C877A703B823AC0578FF8DB",
            ],
            &["EVALSHA", sha, "0"],
            &["EVALSHA", "E0E1F9FABFC9D4800C877A703B823AC0578FF8DB", "0"],
            &["EVALSHA_RO", sha, "0"],
            &["SCRIPT", "LOAD", "return 2"],
            &["SCRIPT", "LOAD", "return ("],
            &["SCRIPT", "LOAD", "#!lua flags=bad\nreturn 1"],
            &["SCRIPT", "FLUSH"],
            &["SCRIPT", "EXISTS", sha],
            &["EVALSHA", sha, "0"],
            &["SCRIPT", "FLUSH", "ASYNC"],
            &["SCRIPT", "FLUSH", "SYNC"],
            &["SCRIPT", "FLUSH", "BAD"],
            &["SCRIPT", "FLUSH", "SYNC", "ASYNC"],
            &["SCRIPT", "KILL"],
            &["SCRIPT", "HELP"],
            &["SCRIPT", "NOSUCH"],
            &["SCRIPT", "DEBUG", "MAYBE"],
            &["SCRIPT", "DEBUG", "NO"],
            &["SCRIPT"],
            &[
                "EVAL",
                "return redis.call('select', 2) and redis.call('dbsize')",
                "0",
            ],
            &["DBSIZE"],
            &[
                "EVAL",
                "return {math.random(10), math.random(5,7), math.random()}",
                "0",
            ],
            &[
                "EVAL",
                "math.randomseed(42) return {math.random(100), math.random(100)}",
                "0",
            ],
            &["EVAL", "return redis.sha1hex('abc')", "0"],
            &["EVAL", "return redis.sha1hex(12)", "0"],
            &[
                "EVAL",
                "return redis.REDIS_VERSION .. ' ' .. redis.REDIS_VERSION_NUM",
                "0",
            ],
            &[
                "EVAL",
                "return {redis.REPL_ALL, redis.REPL_NONE, redis.LOG_WARNING}",
                "0",
            ],
            &[
                "EVAL",
                "return {redis.breakpoint(), redis.replicate_commands()}",
                "0",
            ],
            &["EVAL", "return redis.acl_check_cmd('get','x')", "0"],
            &[
                "EVAL",
                "redis.set_repl(redis.REPL_NONE) return redis.call('set','r','1')",
                "0",
            ],
            &[
                "EVAL",
                "return {redis.call('exists', KEYS[1]), redis.call('del', KEYS[1])}",
                "1",
                "k",
            ],
            // A set's hash order is not deterministic: scripts get it sorted.
            &[
                "SADD", "myset", "r", "i", "o", "aa", "azz", "aaa", "g", "m", "c", "z", "f",
            ],
            &[
                "EVAL",
                "return redis.call('sort', KEYS[1], 'by', 'nosort')",
                "1",
                "myset",
            ],
            &[
                "EVAL",
                "return redis.call('sort', KEYS[1], 'by', 'nosort', 'get', '#', 'get', 'no*')",
                "1",
                "myset",
            ],
        ],
    )
}

/// FUNCTION and FCALL. Libraries and functions are listed in Redis's hash order, so
/// listings here hold one library of one function.
fn functions() -> Case {
    let lib = |body: &str| format!("#!lua name=lib\n{body}");
    let load_errors = [
        "#!lua name=x\nlocal s = string.format('%d', 1) redis.register_function('f', function() return 1 end)",
        "#!lua name=y\nredis.call('ping')",
        "#!lua name=z\nx = 1",
        "#!lua name=w\nreturn redis.REDIS_VERSION",
        "#!lua name=u",
        "#!lua\nredis.register_function('q', function() end)",
        "#!lua name=s\nerror('boom')",
        "#!lua name=s\nredis.register_function('bad name!', function() end)",
        "#!lua name=bad-name\nredis.register_function('a', function() end)",
        "#!lua name=r foo=bar\n",
        "#!lua name=r name=s\n",
        "#!js name=r\n",
        "no shebang",
        "#!lua name=m\nredis.register_function{function_name='mm', callback=function() end, flags={'bogus'}}",
        "#!lua name=m\nredis.register_function{function_name='mm', callback=function() end, bogus=1}",
        "#!lua name=m\nredis.register_function{function_name='mm'}",
        "#!lua name=m\nredis.register_function{callback=function() end}",
        "#!lua name=m\nredis.register_function{function_name={}, callback=function() end}",
        "#!lua name=m\nredis.register_function('a')",
        "#!lua name=m\nredis.register_function()",
        "#!lua name=m\nredis.register_function(1, 2, 3)",
        "#!lua name=m\nredis.register_function('mm', function() end) redis.register_function('mm', function() end)",
        "#!lua name=m\nlocal a = 1 +",
        "#!lua name=m\nredis.register_function('mm', function() end) redis.log(redis.LOG_DEBUG, 'x') return redis.setresp",
    ];
    let owned: Vec<Vec<String>> = load_errors
        .iter()
        .map(|code| vec!["FUNCTION".into(), "LOAD".into(), code.replace("\\n", "\n")])
        .chain([
            vec!["FUNCTION".into(), "LOAD".into(), lib("redis.register_function('f', function(keys, args) return {keys[1], args[1], #keys, #args} end)")],
            vec!["FUNCTION".into(), "LOAD".into(), lib("redis.register_function('g', function() return 1 end)")],
            vec!["FUNCTION".into(), "LOAD".into(), "REPLACE".into(), lib("redis.register_function{function_name='f', callback=function(keys, args) return {keys[1], args[1], #keys, #args} end, flags={'no-writes', 'allow-oom'}, description='the f'}")],
            vec!["FUNCTION".into(), "LIST".into()],
            vec!["FUNCTION".into(), "LIST".into(), "WITHCODE".into(), "LIBRARYNAME".into(), "L*".into()],
            vec!["FUNCTION".into(), "LIST".into(), "LIBRARYNAME".into(), "nomatch".into()],
            vec!["FUNCTION".into(), "LIST".into(), "LIBRARYNAME".into()],
            vec!["FUNCTION".into(), "LIST".into(), "BOGUS".into()],
            vec!["FCALL".into(), "f".into(), "1".into(), "k".into(), "a".into()],
            vec!["FCALL_RO".into(), "f".into(), "0".into()],
            vec!["FCALL".into(), "nosuch".into(), "0".into()],
            vec!["FCALL".into(), "f".into(), "x".into()],
            vec!["FCALL".into(), "f".into(), "2".into(), "k".into()],
            vec!["FCALL".into(), "f".into(), "-1".into()],
            vec!["FUNCTION".into(), "LOAD".into(), "REPLACE".into(), lib("redis.register_function('w', function() return redis.call('set', 'k', 'v') end) ")],
            vec!["FCALL".into(), "w".into(), "0".into()],
            vec!["FCALL_RO".into(), "w".into(), "0".into()],
            vec!["FUNCTION".into(), "LOAD".into(), "REPLACE".into(), lib("redis.register_function{function_name='ro', callback=function() return redis.call('set', 'k', 'v') end, flags={'no-writes'}}")],
            vec!["FCALL".into(), "ro".into(), "0".into()],
            vec!["FCALL".into(), "w".into(), "0".into()],
            vec!["FUNCTION".into(), "LOAD".into(), "REPLACE".into(), lib("redis.register_function('e', function() return KEYS end)")],
            vec!["FCALL".into(), "e".into(), "0".into()],
            vec!["FUNCTION".into(), "LOAD".into(), "REPLACE".into(), lib("redis.register_function('e', function() error('x') end)")],
            vec!["FCALL".into(), "e".into(), "0".into()],
            vec!["FUNCTION".into(), "STATS".into()],
            vec!["FUNCTION".into(), "DELETE".into(), "nosuch".into()],
            vec!["FUNCTION".into(), "DELETE".into(), "lib".into()],
            vec!["FCALL".into(), "e".into(), "0".into()],
            vec!["FUNCTION".into(), "FLUSH".into(), "BAD".into()],
            vec!["FUNCTION".into(), "FLUSH".into(), "ASYNC".into()],
            vec!["FUNCTION".into(), "LOAD".into()],
            vec!["FUNCTION".into(), "LOAD".into(), "BOGUS".into(), "code".into()],
            vec!["FUNCTION".into(), "LOAD".into(), "REPLACE".into()],
            vec!["FUNCTION".into(), "KILL".into()],
            vec!["FUNCTION".into(), "HELP".into()],
            vec!["FUNCTION".into(), "FLUSH".into()],
        ])
        .collect();
    Case {
        name: "functions",
        commands: owned
            .iter()
            .map(|c| (c.iter().map(|w| w.as_bytes().to_vec()).collect(), false))
            .collect(),
    }
}

fn all() -> Vec<Case> {
    vec![
        sandbox(),
        errors(),
        conversions(),
        keys_args_and_cache(),
        functions(),
    ]
}

#[test]
fn scripting_resp2() {
    assert_same(&all(), false);
}

#[test]
fn scripting_resp3() {
    assert_same(&all(), true);
}
