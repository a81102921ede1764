<?cs include:"header.cs" ?>
<?cs include:"macros.cs" ?>
<h1>Revoke an API token</h1>
<section class="panel">
  <p class="consequence">Monitoring that sends the token <strong><?cs var:Page.token.name ?></strong>
  is refused from now on (401). This cannot be undone: a new token must be created and
  configured instead.</p><?cs
  call:form_notice() ?>
  <form method="post" action="/settings/tokens/revoke">
    <input type="hidden" name="csrf" value="<?cs var:Layout.csrf ?>">
    <input type="hidden" name="token" value="<?cs var:Page.token.id ?>">
    <div class="field check<?cs if:Errors.confirm ?> invalid<?cs /if ?>">
      <input id="confirm" type="checkbox" name="confirm" value="revoke"<?cs
        if:Errors.confirm ?> aria-describedby="confirm-error"<?cs /if ?>>
      <label for="confirm">Monitoring using this token stops working</label><?cs
      call:field_error("confirm", "confirm") ?>
    </div>
    <div class="actions">
      <button type="submit" class="danger">Revoke</button>
      <a class="button" href="/settings">Cancel</a>
    </div>
  </form>
</section>
<?cs include:"footer.cs" ?>
