<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<?cs if:Page.refresh ?><meta http-equiv="refresh" content="<?cs var:Page.refresh ?>"><?cs /if ?>
<title><?cs var:Layout.title ?> · Connector</title>
<link rel="stylesheet" href="/static/style.css">
<link rel="icon" href="/static/logo.svg" type="image/svg+xml">
</head>
<body>
<header class="top">
  <a class="brand" href="/"><img src="/static/logo.svg" alt="" width="26" height="26"><span>Connector</span></a>
  <div class="account">
    <span class="version">Version: <?cs var:Layout.version ?></span><?cs
    if:Layout.signed_in ?>
    <span class="who">Signed in as <strong>admin</strong></span>
    <form method="post" action="/logout" class="signout">
      <input type="hidden" name="csrf" value="<?cs var:Layout.csrf ?>">
      <button type="submit">Sign out</button>
    </form><?cs /if ?>
  </div>
</header>
<div class="frame<?cs if:!Layout.signed_in ?> single<?cs /if ?>"><?cs
if:Layout.signed_in ?>
<nav class="side" aria-label="Console">
  <ul>
    <li><a href="/"<?cs if:Layout.path == "/" ?> aria-current="page"<?cs /if ?>>Dashboard</a></li>
    <li><a href="/register"<?cs if:Layout.program == "register" ?> aria-current="page"<?cs /if ?>>Registration</a></li>
    <li><a href="/keys"<?cs if:Layout.program == "keys" ?> aria-current="page"<?cs /if ?>>Keys</a></li>
    <li><a href="/migrations"<?cs if:Layout.program == "migrations" ?> aria-current="page"<?cs /if ?>>Migrations</a></li>
    <li><a href="/users"<?cs if:Layout.program == "users" ?> aria-current="page"<?cs /if ?>>Users</a></li>
    <li><a href="/settings"<?cs if:Layout.program == "settings" ?> aria-current="page"<?cs /if ?>>Settings</a></li>
  </ul>
</nav><?cs /if ?>
<main id="main"><?cs
if:Layout.notice_warning ?>
<div class="notice warning" role="status" id="notice">
  <img src="/static/state-warning.svg" alt="Warning:" width="20" height="20"><?cs
elif:Layout.notice ?>
<div class="notice ok" role="status" id="notice">
  <img src="/static/state-ok.svg" alt="" width="20" height="20"><?cs /if ?><?cs
if:Layout.notice ?>
  <div><?cs var:Layout.notice ?></div>
</div><?cs /if ?>
