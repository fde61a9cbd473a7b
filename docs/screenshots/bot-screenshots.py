import json, urllib.request, base64, subprocess, time, sys, tempfile, os
PORT=9516
BASE=sys.argv[1] if len(sys.argv)>1 else "http://127.0.0.1:18181"
OUT=sys.argv[2] if len(sys.argv)>2 else "/tmp/shots"
drv=subprocess.Popen(["chromedriver",f"--port={PORT}"],stdout=subprocess.DEVNULL,stderr=subprocess.DEVNULL)
time.sleep(1)
def call(method,path,body=None):
    req=urllib.request.Request(f"http://127.0.0.1:{PORT}{path}",method=method,data=json.dumps(body).encode() if body is not None else None,headers={"Content-Type":"application/json"})
    with urllib.request.urlopen(req) as r: return json.load(r)["value"]
try:
    ud=tempfile.mkdtemp()
    caps={"capabilities":{"alwaysMatch":{"browserName":"chrome","goog:chromeOptions":{"binary":"/usr/bin/chromium","args":["--headless","--no-sandbox","--disable-gpu","--no-first-run",f"--user-data-dir={ud}"]}}}}
    s=call("POST","/session",caps)["sessionId"]
    S=f"/session/{s}"
    def find(css): return list(call("POST",S+"/element",{"using":"css selector","value":css}).values())[0]
    def js(script): return call("POST",S+"/execute/sync",{"script":script,"args":[]})
    def shot(name,w=1280,h=900):
        call("POST",S+"/window/rect",{"width":w,"height":h})
        time.sleep(0.6)
        open(os.path.join(OUT,name),"wb").write(base64.b64decode(call("GET",S+"/screenshot")))
    def go(path): call("POST",S+"/url",{"url":BASE+path}); time.sleep(1)
    go("/login?lang=nl")
    call("POST",S+f"/element/{find('input[name=email]')}/value",{"text":"admin@demo.balie.dev"})
    call("POST",S+f"/element/{find('input[name=password]')}/value",{"text":"balie-demo"})
    call("POST",S+f"/element/{find('button[type=submit]')}/click",{})
    time.sleep(1)
    go("/settings/bot?text=waar%20blijft%20mijn%20pakketje%201045873%2C%20postcode%201012%20AB")
    shot("bot-try.png")
    go("/settings/bot/intents")
    shot("bot-intents.png")
    # retrain by clicking
    call("POST",S+f"/element/{find('#btn-retrain')}/click",{})
    time.sleep(4)
    print("after retrain:", call("GET",S+"/url"))
    print(js("return (document.querySelector('.notice')||{}).textContent"))
    go("/settings/bot/answers")
    js("document.querySelectorAll('details.answer')[3].open=true")
    shot("bot-answers.png")
    go("/reports/bot?days=30")
    shot("bot-report.png")
    print(js("return document.querySelector('main').innerText.slice(0,600)"))
    go("/settings/knowledge")
    shot("knowledge.png")
    # find a handed-off conversation
    go("/inbox?status=all&label=bot_handoff")
    links=js("return [...document.querySelectorAll('a[href^=\"/inbox/c/\"]')].map(a=>a.getAttribute('href'))")
    print("handoff links", links)
    if links:
        go(links[0])
        shot("conversation-handoff.png")
        print(js("return !!document.getElementById('btn-resume-bot')"))
        call("POST",S+f"/element/{find('#btn-resume-bot')}/click",{})
        time.sleep(1.5)
        print("resume button after click:", js("return !!document.getElementById('btn-resume-bot')"))
    go("/settings/bot/intents?lang=en")
    shot("bot-intents-en.png", 360, 740)
    call("DELETE",S)
finally:
    drv.terminate()
