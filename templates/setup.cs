<?cs include:"header.cs" ?>
<?cs include:"macros.cs" ?>
<section class="panel">
  <h1>Claim this connector</h1>
  <p class="lead">This connector has no password yet. Enter the one-time setup
  code shown on its VM console, then choose the connector password you will
  use to sign in to this console.</p>
  <form method="post" action="/setup">
    <input type="hidden" name="csrf" value="<?cs var:Layout.csrf ?>">
    <div class="field<?cs if:Errors.code ?> invalid<?cs /if ?>">
      <label for="code">Setup code</label>
      <input id="code" name="code" autocomplete="off" spellcheck="false"
        autocapitalize="characters" maxlength="32" required<?cs
        if:!Page.code ?> autofocus<?cs /if ?>
        placeholder="XXXX-XXXX-XXXX-XXXX"<?cs
        if:Page.code ?> value="<?cs var:Page.code ?>"<?cs /if ?><?cs
        if:Errors.code ?> aria-describedby="code-error"<?cs /if ?>><?cs
      if:Errors.code ?><?cs
      call:field_error("code", "code") ?><?cs
      else ?>
      <p class="help">Printed by <code>connector-setup init</code>; it works once.</p><?cs /if ?>
    </div>
    <div class="field<?cs if:Errors.password ?> invalid<?cs /if ?>">
      <label for="password">Connector password</label>
      <input id="password" type="password" name="password"
        autocomplete="new-password" minlength="12" maxlength="1024" required<?cs
        if:Page.code ?> autofocus<?cs /if ?>>
      <p class="help">At least 12 characters. A few unrelated words make a
      strong password that is easy to type; there are no other rules.</p>
    </div>
    <div class="field<?cs if:Errors.password ?> invalid<?cs /if ?>">
      <label for="password2">Type the password again</label>
      <input id="password2" type="password" name="password2"
        autocomplete="new-password" minlength="12" maxlength="1024" required<?cs
        if:Errors.password ?> aria-describedby="password-error"<?cs /if ?>><?cs
      call:field_error("password", "password") ?>
    </div>
    <div class="actions">
      <button type="submit" class="primary">Claim and sign in</button>
    </div>
  </form>
</section>
<?cs include:"footer.cs" ?>
