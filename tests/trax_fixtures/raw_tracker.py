"""A TraX tracker speaking the protocol by hand (standard library only), to misbehave on purpose.

Usage: raw_tracker.py MODE [FAIL_AT]. Announces TraX version 3 (so the legacy
``initialize IMAGE REGION`` form is used) and reports its initial box on every frame,
printing junk lines to stdout and stderr that a client must ignore. On frame FAIL_AT
(default 3) of a sequence whose frame paths contain "/Alpha/", MODE decides:

* ``ok``: nothing special;
* ``exit``: writes "fatal: simulated crash" to stderr and exits with status 3;
* ``hang``: starts a child process (``sleep``) in its process group and stops answering;
* ``garbage``: answers with a malformed state (a region of three numbers) after junk;
* ``quit``: sends ``quit`` with a reason and exits;
* ``leave``: answers, then exits quietly (a tracker that dies while the client is idle);
* ``double``: answers with two states (in one write);
* ``stray``: answers, then sends another state 0.3 s later, unasked;
* ``hello``: answers with a hello instead of a state;
* ``mask``: answers with the mask region given as a third argument;
* ``idle-quit``: answers and, in the same write, quits; then exits.

``startup-crash`` exits before its hello, ``startup-hang`` never says hello,
``two-hellos`` says hello twice.
"""
import subprocess
import sys
import time

MODE = sys.argv[1]
FAIL_AT = int(sys.argv[2]) if len(sys.argv) > 2 else 3
MASK = sys.argv[3] if len(sys.argv) > 3 else ""


def send(line):
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


def unquote(token):
    return token[1:-1] if token.startswith('"') and token.endswith('"') else token


if MODE == "startup-crash":
    sys.stderr.write("raw_tracker: cannot load model weights\n")
    sys.exit(7)
if MODE == "startup-hang":
    time.sleep(3600)

print("raw_tracker: junk before the hello", flush=True)
HELLO = ('@@TRAX:hello "trax.version=3" "trax.region=rectangle;" "trax.image=path;" "trax.channels=color;" '
         '"trax.name=raw"')
send(HELLO + "\n" + HELLO if MODE == "two-hellos" else HELLO)  # one write: both arrive together
box, frame, path = None, 0, ""
for line in sys.stdin:
    line = line.rstrip("\n")
    if line.startswith("@@TRAX:quit"):
        break
    tokens = line.split(" ")  # good enough: the test paths contain no spaces
    if line.startswith("@@TRAX:initialize"):
        path, box, frame = unquote(tokens[1]), unquote(tokens[2]), 0
    elif line.startswith("@@TRAX:frame"):
        path, frame = unquote(tokens[1]), frame + 1
    else:
        continue
    sys.stderr.write(f"raw_tracker: frame {frame} of {path}\n")
    print("progress: some text a tracker prints", flush=True)
    if frame == FAIL_AT and "/Alpha/" in path:
        if MODE == "exit":
            sys.stderr.write("fatal: simulated crash\n")
            sys.exit(3)
        if MODE == "hang":
            child = subprocess.Popen(["sleep", "300"])
            sys.stderr.write(f"raw_tracker: hanging, child {child.pid}\n")
            sys.stderr.flush()
            time.sleep(3600)
        if MODE == "garbage":
            send("\x00\x01 binary junk \xff")
            send('@@TRAX:state "1,2,3"')
            continue
        if MODE == "quit":
            send('@@TRAX:quit "trax.reason=model diverged"')
            sys.exit(0)
        if MODE == "double":
            send(f'@@TRAX:state "{box}"\n@@TRAX:state "{box}"')
            continue
        if MODE == "hello":
            send(HELLO)
            continue
        if MODE == "mask":
            send(f'@@TRAX:state "{MASK}"')
            continue
        if MODE == "idle-quit":
            send(f'@@TRAX:state "{box}"\n@@TRAX:quit "trax.reason=tired"')  # one write: they arrive together
            sys.exit(0)
        if MODE == "stray":
            send(f'@@TRAX:state "{box}"')
            time.sleep(0.3)
    send(f'@@TRAX:state "{box}"')
    if MODE == "leave" and frame == FAIL_AT and "/Alpha/" in path:
        sys.exit(0)
