#!/usr/bin/env python3
"""Start muxgate serve with the config, do the MCP handshake and a tools/list, then snapshot /proc."""
import subprocess, json, sys, time, os, select, collections, re
binary, cfg, out = sys.argv[1], sys.argv[2], sys.argv[3]
tools = int(sys.argv[4]) if len(sys.argv) > 4 else 0
env=dict(os.environ); env.update(dict([os.environ["EXTRA_ENV"].split("=",1)]) if os.environ.get("EXTRA_ENV") else {}); env.update({"LD_PRELOAD":os.environ["PRELOAD"]} if os.environ.get("PRELOAD") else {})
p = subprocess.Popen([binary, "serve", "--config", cfg], env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=open(out+".stderr","w"))
def send(o): p.stdin.write((json.dumps(o)+"\n").encode()); p.stdin.flush()
def recv(want_id, timeout=20):
    deadline=time.time()+timeout; buf=b""
    while time.time()<deadline:
        r,_,_=select.select([p.stdout],[],[],0.5)
        if r:
            line=p.stdout.readline()
            if not line: break
            try: o=json.loads(line)
            except Exception: continue
            if o.get("id")==want_id: return o
    return None
t0=time.time()
send({"jsonrpc":"2.0","id":0,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"x","version":"1"}}})
r=recv(0); t_init=time.time()-t0
send({"jsonrpc":"2.0","method":"notifications/initialized"})
time.sleep(1.0)
send({"jsonrpc":"2.0","id":1,"method":"tools/list","params":{}})
r1=recv(1); ntools=len(r1["result"]["tools"]) if r1 and "result" in r1 else -1
for i in range(tools):
    send({"jsonrpc":"2.0","id":100+i,"method":"tools/call","params":{"name":r1["result"]["tools"][i % max(ntools,1)]["name"],"arguments":{}}}); recv(100+i)
time.sleep(2.0)
pid=p.pid
snap={"pid":pid,"init_s":round(t_init,3),"tools":ntools}
snap["rollup"]=open(f"/proc/{pid}/smaps_rollup").read()
snap["status"]=open(f"/proc/{pid}/status").read()
snap["smaps"]=open(f"/proc/{pid}/smaps").read()
snap["maps"]=open(f"/proc/{pid}/maps").read()
tasks=os.listdir(f"/proc/{pid}/task"); snap["threads"]={}
for t in tasks:
    try: snap["threads"][t]=open(f"/proc/{pid}/task/{t}/comm").read().strip()
    except Exception: pass
# children
kids=[]
try:
    for t in tasks:
        kids+=open(f"/proc/{pid}/task/{t}/children").read().split()
except Exception: pass
snap["children"]={}
for k in kids:
    try: snap["children"][k]=open(f"/proc/{k}/smaps_rollup").read()
    except Exception: pass
# resident pages of the binary's own mappings (pagemap bit 63 = present)
pm=open(f"/proc/{pid}/pagemap","rb"); res=[]
exe=os.path.realpath(f"/proc/{pid}/exe")
for l in snap["maps"].split("\n"):
    m=re.match(r'^([0-9a-f]+)-([0-9a-f]+) (\S+) ([0-9a-f]+) \S+ \S+\s*(.*)$',l)
    if not m: continue
    lo,hi,perm,off,name=int(m.group(1),16),int(m.group(2),16),m.group(3),int(m.group(4),16),m.group(5).strip()
    if name!=exe: continue
    n=(hi-lo)//4096; pm.seek(lo//4096*8); buf=pm.read(8*n)
    import struct
    pres=[i for i in range(n) if struct.unpack_from("<Q",buf,8*i)[0]>>63 & 1]
    res.append({"lo":lo,"perm":perm,"off":off,"pages":pres})
snap["pagemap"]=res
json.dump(snap,open(out,"w"),indent=1)
p.stdin.close()
try: p.wait(timeout=10)
except Exception: p.kill()
print("init",snap["init_s"],"tools",ntools,"threads",len(tasks),"children",len(kids))
print(snap["rollup"])
