<?cs include:"header.cs" ?>
<h1>Checking the connector's health</h1>
<section class="panel"><?cs
if:Page.failed ?>
  <p class="state error"><img src="/static/state-error.svg" alt="" width="16" height="16">The health check did not start.</p>
  <p>No run of the health check began within <?cs var:Page.grace ?> seconds: the connector could not
  start one, or another run is holding the check. The items on the dashboard show what the last
  checks found, and the scheduled check runs every minute.</p>
  <p>Go back to the dashboard and choose <strong>Check now</strong> again; if it still does not
  start, restart the connector's services from the VM console.</p>
  <p class="links"><a class="button" href="/">Back to the dashboard</a></p><?cs
else ?>
  <p class="state unknown" role="status"><img src="/static/state-unknown.svg" alt="" width="16" height="16">Checking the connector's health… started <?cs var:Page.started_ago ?> s ago.</p>
  <p class="detail">Every item is checked at once; one that does not answer is given up after its
  time limit. This page refreshes itself and shows the dashboard when the check is done.</p>
  <p class="links"><a class="button" href="">Refresh now</a> <a class="button" href="/">Back to the dashboard</a></p><?cs
/if ?>
</section>
<?cs include:"footer.cs" ?>
