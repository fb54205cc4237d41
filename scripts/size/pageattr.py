import re,sys,json,bisect,collections,subprocess
sys.path.insert(0,'/tmp/sz/scripts')
mapfile, binary, snapf = sys.argv[1], sys.argv[2], sys.argv[3]
# reuse grouping from mapattr
src=open('/tmp/sz/scripts/mapattr.py').read()
ns={}; exec(src.split("lines = open(")[0].replace("mapfile = sys.argv[1]","mapfile=None"), ns)
group=ns['group']
# intervals from the map
iv=[]
lines=open(mapfile,errors='replace').read().split('\n')
start=next(i for i,l in enumerate(lines) if re.match(r'^\.interp\s',l))
outsec=None; pending=False
for l in lines[start:]:
    if l and not l.startswith(' '):
        m=re.match(r'^(\S+)',l); outsec=m.group(1); pending=False; continue
    if l.startswith(' ') and not l.startswith('  '):
        m=re.match(r'^\s(\S+)\s+0x([0-9a-f]+)\s+0x([0-9a-f]+)\s+(\S.*)$',l)
        if m and not l.startswith(' **'):
            iv.append((int(m.group(2),16),int(m.group(3),16),group(m.group(4))[0],outsec)); pending=False
        else: pending=not l.startswith(' **')
        continue
    if pending:
        m=re.match(r'^\s+0x([0-9a-f]+)\s+0x([0-9a-f]+)\s+(\S.*)$',l)
        if m: iv.append((int(m.group(1),16),int(m.group(2),16),group(m.group(3))[0],outsec))
        pending=False
iv=[x for x in iv if x[1]>0 and x[0]>0 and not x[3].startswith(".debug") and x[3] not in (".symtab",".strtab",".comment",".shstrtab",".note.gnu.gold-version",".tbss")]
iv.sort()
# section headers
secs=[]
for l in subprocess.run(['readelf','-S','-W',binary],capture_output=True,text=True).stdout.split('\n'):
    m=re.match(r'^\s*\[\s*\d+\]\s+(\S+)\s+\S+\s+([0-9a-f]+)\s+([0-9a-f]+)\s+([0-9a-f]+)',l)
    if m and int(m.group(2),16)>0: secs.append((int(m.group(2),16),int(m.group(4),16),m.group(1)))
secs.sort()
def secof(a):
    i=bisect.bisect_right([s[0] for s in secs],a)-1
    if i>=0 and a<secs[i][0]+secs[i][1]: return secs[i][2]
    return '(gap)'
starts=[x[0] for x in iv]
snap=json.load(open(snapf))
base=min(m['lo'] for m in snap['pagemap'])
bygroup=collections.Counter(); bysec=collections.Counter(); bysecgroup=collections.Counter()
for m in snap['pagemap']:
    for p in m['pages']:
        v=m['lo']-base+p*4096; e=v+4096
        covered=0
        i=max(bisect.bisect_right(starts,v)-1,0)
        # walk back a bit for large sections that start before v
        j=i
        while j>0 and iv[j-1][0]+iv[j-1][1]>v and v-iv[j-1][0]<64*1024*1024: j-=1
        if j==i and i>0 and iv[i][0]>v: j=i-1
        k=j
        while k<len(iv) and iv[k][0]<e:
            a,sz,g,o=iv[k]; ov=min(e,a+sz)-max(v,a)
            if ov>0: bygroup[g]+=ov; bysecgroup[(o,g)]+=ov; covered+=ov
            k+=1
        # bytes in the page not covered by an input section: linker-generated (dynsym, rela.dyn...) or padding
        rest=4096-covered
        if rest>0:
            # split rest by section at page middle
            s=secof(v+2048) if covered==0 else secof(v)
            bygroup['linker: '+s]+=rest; bysecgroup[(s,'linker')]+=rest
        # section totals (by page start)
        bysec[secof(v)]+=4096
T=sum(bygroup.values())
print(f"resident pages of the binary: {T/1024:,.0f} KiB")
print("\n| origin | resident KiB | share |\n|---|---:|---:|")
for g,b in bygroup.most_common(40): print(f"| {g} | {b/1024:,.0f} | {100*b/T:.1f} % |")
print("\n| section (page start) | resident KiB |\n|---|---:|")
for s,b in bysec.most_common(25): print(f"| {s} | {b//1024:,} |")
json.dump({"group":dict(bygroup),"sec":dict(bysec),"secgroup":{f"{a}|{b}":v for (a,b),v in bysecgroup.items()}},open(snapf+'.attr.json','w'),indent=1)
