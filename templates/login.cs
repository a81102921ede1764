<?cs include:"header.cs" ?>
<?cs include:"macros.cs" ?>
<section class="panel">
  <h1>Sign in</h1><?cs
  if:Page.locked ?>
  <div class="notice error" role="alert">
    <img src="/static/state-error.svg" alt="" width="20" height="20">
    <div><strong>The console is locked.</strong> After 20 failed sign-ins
    the connector refuses every password, including the right one. Open the
    connector's VM console and run <code>sudo connector-setup reset-password</code>
    to set a new password and unlock it.</div>
  </div><?cs
  else ?>
  <p class="lead">Enter the connector password.</p><?cs /if ?>
  <form method="post" action="/login">
    <input type="hidden" name="csrf" value="<?cs var:Layout.csrf ?>"><?cs
    if:Page.next ?>
    <input type="hidden" name="next" value="<?cs var:Page.next ?>"><?cs /if ?>
    <div class="field<?cs if:Errors.password ?> invalid<?cs /if ?>">
      <label for="password">Connector password</label>
      <input id="password" type="password" name="password"
        autocomplete="current-password" maxlength="1024" required autofocus<?cs
        if:Errors.password ?> aria-describedby="password-error"<?cs /if ?>><?cs
      call:field_error("password", "password") ?><?cs
      if:!Page.locked ?>
      <p class="help">Forgot it? Reset it from the VM console:
      <code>sudo connector-setup reset-password</code>.</p><?cs /if ?>
    </div>
    <div class="actions">
      <button type="submit" class="primary">Sign in</button>
    </div>
  </form>
</section>
<?cs include:"footer.cs" ?>
