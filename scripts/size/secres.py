import json,sys,subprocess,re,bisect,collections
binary,snapf=sys.argv[1],sys.argv[2]
hdr=subprocess.run(['readelf','-h',binary],capture_output=True,text=True).stdout
pie='DYN' in hdr
secs=[]
for l in subprocess.run(['readelf','-S','-W',binary],capture_output=True,text=True).stdout.split('\n'):
    m=re.match(r'^\s*\[\s*\d+\]\s+(\S+)\s+\S+\s+([0-9a-f]+)\s+([0-9a-f]+)\s+([0-9a-f]+)',l)
    if m and int(m.group(2),16)>0: secs.append((int(m.group(2),16),int(m.group(4),16),m.group(1)))
secs.sort(); st=[s[0] for s in secs]
s=json.load(open(snapf)); base=min(m['lo'] for m in s['pagemap']) if pie else 0
c=collections.Counter()
for m in s['pagemap']:
    for p in m['pages']:
        v=m['lo']-base+p*4096
        i=bisect.bisect_right(st,v+2048)-1
        c[secs[i][2] if i>=0 and v+2048<secs[i][0]+secs[i][1] else '(other)']+=4
print(snapf, {k:v for k,v in c.most_common(10)})
