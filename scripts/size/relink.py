#!/usr/bin/env python3
"""Relink the wt-dist objects with ld.gold or ld.lld and variant flags. usage: relink.py NAME [gold|lld] [flags...]
Flags: noexport (drop -export-dynamic), icf, relr (lld: -z pack-relative-relocs), nopie, map"""
import json,sys,subprocess,shlex,os,time
name=sys.argv[1]; linker=sys.argv[2]; flags=set(sys.argv[3:])
a=json.load(open('/tmp/sz/relink/ldargs.json'))
out=f'/tmp/sz/variants/{name}'
os.makedirs('/tmp/sz/variants',exist_ok=True)
b=[]
skip=0
for x in a:
    if skip: skip-=1; continue
    if x.startswith('-Map=') or x=='--print-gc-sections': continue
    if x=='-export-dynamic' and 'noexport' in flags: continue
    if x=='-o': b+=['-o',out]; skip=1; continue
    b.append(x)
if 'icf' in flags: b.insert(0,'--icf=all')
if 'order' in flags: b+=['--symbol-ordering-file=/tmp/sz/order/order.txt']
if 'map' in flags: b.append(f'-Map={out}.map')
if linker=='lld':
    exe='/opt/swift/usr/bin/ld.lld'
    if 'relr' in flags: b+=['-z','pack-relative-relocs']
else: exe='/usr/bin/ld.gold'
if 'nopie' in flags:
    b=[x for x in b if x!='-pie']; b=[('/lib/x86_64-linux-gnu/crt1.o' if x.endswith('Scrt1.o') else x) for x in b]
    b=[x.replace('crtbeginS.o','crtbegin.o').replace('crtendS.o','crtend.o') for x in b]
    b.insert(0,'-no-pie') if linker=='lld' else None
t=time.time()
r=subprocess.run(['nice','-n','5',exe]+b,capture_output=True,text=True)
err=[l for l in r.stderr.split('\n') if l and 'mktemp' not in l]
print(name,'rc',r.returncode,'%.1fs'%(time.time()-t)); print('\n'.join(err[:15]))
if r.returncode==0:
    subprocess.run(['strip','-o',out+'.stripped',out])
    print('unstripped',os.path.getsize(out),'stripped',os.path.getsize(out+'.stripped'))
