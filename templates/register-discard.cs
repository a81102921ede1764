<form method="post" action="/register/discard" class="discard">
  <input type="hidden" name="csrf" value="<?cs var:Layout.csrf ?>">
  <button type="submit" class="link">Discard what this wizard holds and leave</button>
  <span class="help">Nothing registered changes.</span>
</form>
