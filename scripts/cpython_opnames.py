"""Print, as JSON, the opcode names of each function (not class body) in FILE as this interpreter's `dis` lists
them, normal path only: the instructions reachable from the entry without entering an exception
handler (2.7-3.10 SETUP_* targets, 3.11+ exception-table targets), in offset order.

Runs under 2.7 and every 3.x: python cpython_opnames.py FILE
Used by gilsim's fidelity tests (crates/gilsim-cli/tests/fidelity.rs)."""
import dis, json, sys

ENDS = set(["RETURN_VALUE", "RETURN_CONST", "RERAISE", "RAISE_VARARGS", "JUMP_BACKWARD",
            "JUMP_FORWARD", "JUMP_ABSOLUTE", "JUMP_BACKWARD_NO_INTERRUPT", "JUMP", "BREAK_LOOP"])
SETUPS = set(["SETUP_FINALLY", "SETUP_WITH", "SETUP_EXCEPT", "SETUP_LOOP", "SETUP_ASYNC_WITH"])


def instructions(co):
    if hasattr(dis, "get_instructions"):
        return [(i.offset, i.opname, i.argval if i.opcode in dis.hasjrel + dis.hasjabs else None)
                for i in dis.get_instructions(co)]
    # 2.7: decode by hand.
    code = co.co_code
    out, i, n = [], 0, len(code)
    while i < n:
        op = ord(code[i])
        name = dis.opname[op]
        target = None
        if op >= dis.HAVE_ARGUMENT:
            arg = ord(code[i + 1]) + ord(code[i + 2]) * 256
            if op in dis.hasjrel:
                target = i + 3 + arg
            elif op in dis.hasjabs:
                target = arg
            out.append((i, name, target))
            i += 3
        else:
            out.append((i, name, None))
            i += 1
    return out


def normal_path(co):
    ins = instructions(co)
    index = dict((off, k) for k, (off, _, _) in enumerate(ins))
    seen, todo = set(), [0]
    while todo:
        k = todo.pop()
        if k in seen or k >= len(ins):
            continue
        seen.add(k)
        off, name, target = ins[k]
        if target is not None and name not in SETUPS and target in index:
            todo.append(index[target])
        if name not in ENDS:
            todo.append(k + 1)
    return [ins[k][1] for k in sorted(seen)]


def walk(co, prefix, out):
    for c in co.co_consts:
        if hasattr(c, "co_code"):
            name = prefix + c.co_name
            if c.co_flags & 0x1:  # CO_OPTIMIZED: a function body, not a class body
                out[name] = normal_path(c)
            walk(c, name + ".", out)


def main():
    src = open(sys.argv[1]).read()
    out = {}
    walk(compile(src, sys.argv[1], "exec"), "", out)
    print(json.dumps(out, indent=1, sort_keys=True))


main()
