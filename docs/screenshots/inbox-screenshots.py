import json, urllib.request, base64, subprocess, time, sys, tempfile, os
PORT=9515
BASE=sys.argv[1] if len(sys.argv)>1 else "http://127.0.0.1:18181"
OUT=sys.argv[2] if len(sys.argv)>2 else "/tmp/shots"
drv=subprocess.Popen(["chromedriver",f"--port={PORT}"],stdout=subprocess.DEVNULL,stderr=subprocess.DEVNULL)
time.sleep(1)
def call(method,path,body=None):
    req=urllib.request.Request(f"http://127.0.0.1:{PORT}{path}",method=method,data=json.dumps(body).encode() if body is not None else None,headers={"Content-Type":"application/json"})
    with urllib.request.urlopen(req) as r: return json.load(r)["value"]
try:
    ud=tempfile.mkdtemp()
    caps={"capabilities":{"alwaysMatch":{"browserName":"chrome","goog:chromeOptions":{"binary":"/usr/bin/chromium","args":["--headless","--no-sandbox","--disable-gpu","--disable-quic","--no-first-run","--disable-background-networking","--disable-component-update","--disable-sync",f"--user-data-dir={ud}"]}}}}
    s=call("POST","/session",caps)["sessionId"]
    S=f"/session/{s}"
    def find(css): return list(call("POST",S+"/element",{"using":"css selector","value":css}).values())[0]
    def shot(name,w,h):
        call("POST",S+"/window/rect",{"width":w,"height":h})
        time.sleep(0.7)
        png=base64.b64decode(call("GET",S+"/screenshot"))
        open(os.path.join(OUT,name),"wb").write(png)
    call("POST",S+"/url",{"url":BASE+"/login?lang=nl"})
    call("POST",S+f"/element/{find('input[name=email]')}/value",{"text":"sanne@demo.balie.dev"})
    call("POST",S+f"/element/{find('input[name=password]')}/value",{"text":"balie-demo"})
    call("POST",S+f"/element/{find('button[type=submit]')}/click",{})
    time.sleep(1)
    print("after login:",call("GET",S+"/url"))
    call("POST",S+"/url",{"url":BASE+"/inbox?status=all"})
    time.sleep(1)
    shot("inbox-list-phone.png",360,740)
    call("POST",S+"/url",{"url":BASE+"/inbox/c/1?status=all"})
    time.sleep(1.5)
    print("live:",call("POST",S+"/execute/sync",{"script":"return document.getElementById('live').textContent","args":[]}))
    print("console:",call("POST",S+"/execute/sync",{"script":"return document.querySelectorAll('#timeline .msg').length","args":[]}))
    call("POST",S+"/window/rect",{"width":1280,"height":800})
    call("POST",S+"/url",{"url":BASE+"/inbox/c/1?status=all"})
    time.sleep(1.5)
    shot("inbox-desktop.png",1280,800)
    call("POST",S+"/window/rect",{"width":360,"height":740})
    call("POST",S+"/url",{"url":BASE+"/inbox/c/1?status=all"})
    time.sleep(1.5)
    shot("inbox-phone.png",360,740)
    try:
        print(call("POST", S+"/se/log", {"type":"browser"}))
    except Exception as e: print("no log", e)
    call("DELETE",S)
finally:
    drv.terminate()
