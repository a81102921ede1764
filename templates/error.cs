<?cs include:"header.cs" ?>
<section class="panel">
  <h1><?cs var:Error.reason ?></h1>
  <p class="state error"><img src="/static/state-error.svg" alt="" width="16" height="16">Error <?cs var:Error.status ?>.<?cs
  if:Error.message ?> <?cs var:Error.message ?><?cs /if ?></p>
  <p><a href="/">Back to the console</a></p>
</section>
<?cs include:"footer.cs" ?>
