#!/usr/bin/env python3
"""Start muxgate, handshake + tools/list, snapshot; then MADV_PAGEOUT every mapping of the process
(process_madvise), drive N tools/call + tools/list, snapshot again: the steady-state working set."""
import subprocess, json, sys, time, os, select, re, ctypes, struct
binary, cfg, out, ncalls = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
p = subprocess.Popen([binary, "serve", "--config", cfg], stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=open(out+".stderr","w"))
def send(o): p.stdin.write((json.dumps(o)+"\n").encode()); p.stdin.flush()
def recv(want_id, timeout=20):
    deadline=time.time()+timeout
    while time.time()<deadline:
        r,_,_=select.select([p.stdout],[],[],0.5)
        if r:
            line=p.stdout.readline()
            if not line: break
            try: o=json.loads(line)
            except Exception: continue
            if o.get("id")==want_id: return o
send({"jsonrpc":"2.0","id":0,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"x","version":"1"}}}); recv(0)
send({"jsonrpc":"2.0","method":"notifications/initialized"}); time.sleep(1)
send({"jsonrpc":"2.0","id":1,"method":"tools/list","params":{}}); r1=recv(1); names=[t["name"] for t in r1["result"]["tools"]]
time.sleep(1)
pid=p.pid
def rollup(): return dict((l.split(':')[0],int(l.split()[1])) for l in open(f"/proc/{pid}/smaps_rollup").read().split('\n')[1:] if l.strip())
def pagemap():
    exe=os.path.realpath(f"/proc/{pid}/exe"); res=[]
    pm=open(f"/proc/{pid}/pagemap","rb")
    for l in open(f"/proc/{pid}/maps"):
        m=re.match(r'^([0-9a-f]+)-([0-9a-f]+) (\S+) ([0-9a-f]+) \S+ \S+\s*(.*)$',l)
        lo,hi,perm,name=int(m.group(1),16),int(m.group(2),16),m.group(3),m.group(5).strip()
        if name!=exe: continue
        n=(hi-lo)//4096; pm.seek(lo//4096*8); buf=pm.read(8*n)
        res.append({"lo":lo,"perm":perm,"pages":[i for i in range(n) if struct.unpack_from("<Q",buf,8*i)[0]>>63&1]})
    return res
before={"rollup":rollup(),"pagemap":pagemap()}
# page out everything
libc=ctypes.CDLL(None,use_errno=True)
class iovec(ctypes.Structure): _fields_=[("base",ctypes.c_void_p),("len",ctypes.c_size_t)]
pidfd=os.pidfd_open(pid)
for l in open(f"/proc/{pid}/maps"):
    m=re.match(r'^([0-9a-f]+)-([0-9a-f]+) (\S+)',l); lo,hi,perm=int(m.group(1),16),int(m.group(2),16),m.group(3)
    if perm.startswith('---'): continue
    v=iovec(lo,hi-lo)
    libc.syscall(440,pidfd,ctypes.byref(v),1,21,0)
time.sleep(0.5)
paged={"rollup":rollup()}
t=time.time()
for i in range(ncalls):
    send({"jsonrpc":"2.0","id":1000+i,"method":"tools/call","params":{"name":names[i%len(names)],"arguments":{}}}); recv(1000+i)
    if i%10==0:
        send({"jsonrpc":"2.0","id":5000+i,"method":"tools/list","params":{}}); recv(5000+i)
time.sleep(1)
after={"rollup":rollup(),"pagemap":pagemap()}
json.dump({"before":before,"paged":paged,"after":after,"names":names[:5]},open(out,"w"))
p.stdin.close(); p.wait(timeout=10)
for k,s in (("after start-up",before),("after MADV_PAGEOUT",paged),(f"after {ncalls} calls",after)):
    r=s["rollup"]; print(f"{k}: Rss {r['Rss']} Pss {r['Pss']} Anon {r['Anonymous']} File {r['Rss']-r['Anonymous']}", ("binary-resident %d"%sum(len(m['pages'])*4 for m in s['pagemap'])) if 'pagemap' in s else '')
